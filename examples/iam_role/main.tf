# IAM role assumable by EC2, with an inline policy and an attached customer-managed policy.
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

resource "aws_iam_role" "app" {
  name                 = "lsqm-iam-role-app"
  path                 = "/lsqm/"
  description          = "lsqm iam_role example"
  max_session_duration = 7200

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "ec2.amazonaws.com" }
        Action    = "sts:AssumeRole"
      }
    ]
  })

  tags = {
    Project = "lsqm"
    Example = "iam_role"
  }
}

resource "aws_iam_role_policy" "logs" {
  name = "lsqm-iam-role-inline-logs"
  role = aws_iam_role.app.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "*"
      }
    ]
  })
}

resource "aws_iam_policy" "read_bucket" {
  name        = "lsqm-iam-role-read-bucket"
  path        = "/lsqm/"
  description = "Read-only access to one bucket"

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:ListBucket"]
        Resource = ["arn:aws:s3:::lsqm-iam-role-bucket", "arn:aws:s3:::lsqm-iam-role-bucket/*"]
      }
    ]
  })
}

resource "aws_iam_role_policy_attachment" "read_bucket" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.read_bucket.arn
}
