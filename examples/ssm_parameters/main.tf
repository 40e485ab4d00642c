# SSM Parameter Store: a String, a StringList and a SecureString parameter under one path.
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

resource "aws_ssm_parameter" "endpoint" {
  name        = "/lsqm-ssm-parameters/app/endpoint"
  description = "Service endpoint"
  type        = "String"
  value       = "https://api.example.internal:8443"

  tags = {
    Project = "lsqm"
    Example = "ssm_parameters"
  }
}

resource "aws_ssm_parameter" "regions" {
  name  = "/lsqm-ssm-parameters/app/regions"
  type  = "StringList"
  value = "us-east-1,eu-west-1"
}

resource "aws_ssm_parameter" "db_password" {
  name        = "/lsqm-ssm-parameters/app/db-password"
  description = "Database password"
  type        = "SecureString"
  value       = "s3cr3t-lsqm-Pa55"
}
