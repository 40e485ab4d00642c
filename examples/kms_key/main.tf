# Symmetric KMS key with rotation enabled and an alias; tests encrypt and decrypt through the alias.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 3.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

resource "aws_kms_key" "app" {
  description             = "lsqm kms_key example"
  deletion_window_in_days = 7
  enable_key_rotation     = true

  tags = {
    Project = "lsqm"
    Example = "kms_key"
  }
}

resource "aws_kms_alias" "app" {
  name          = "alias/lsqm-kms-key-app"
  target_key_id = aws_kms_key.app.key_id
}
