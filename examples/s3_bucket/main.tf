# S3 bucket with versioning, default SSE-AES256 encryption and tags; tests put/get/list/delete objects.
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

resource "aws_s3_bucket" "data" {
  bucket        = "lsqm-s3-bucket-data"
  acl           = "private"
  force_destroy = true

  versioning {
    enabled = true
  }

  # LocalStack reports default SSE-AES256; declaring it keeps plan free of drift.
  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "AES256"
      }
    }
  }

  tags = {
    Project = "lsqm"
    Example = "s3_bucket"
  }
}
