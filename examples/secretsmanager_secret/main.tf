# Secrets Manager secret with a JSON secret version; deleted without a recovery window on destroy.
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

resource "aws_secretsmanager_secret" "db" {
  name                    = "lsqm-secretsmanager-secret/db-credentials"
  description             = "Database credentials for the lsqm example"
  recovery_window_in_days = 0

  tags = {
    Project = "lsqm"
    Example = "secretsmanager_secret"
  }
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id = aws_secretsmanager_secret.db.id
  secret_string = jsonencode({
    username = "lsqm_app"
    password = "correct-horse-battery-staple"
    port     = 5432
  })
}
