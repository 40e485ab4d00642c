# SQS work queue with a redrive policy that moves messages received too often to a dead-letter queue.
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

resource "aws_sqs_queue" "dlq" {
  name                      = "lsqm-sqs-dlq-dead-letters"
  message_retention_seconds = 1209600

  tags = {
    Project = "lsqm"
    Example = "sqs_dlq"
  }
}

resource "aws_sqs_queue" "work" {
  name                       = "lsqm-sqs-dlq-work"
  visibility_timeout_seconds = 45
  message_retention_seconds  = 86400
  max_message_size           = 2048
  delay_seconds              = 0
  receive_wait_time_seconds  = 0

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 2
  })

  tags = {
    Project = "lsqm"
    Example = "sqs_dlq"
  }
}
