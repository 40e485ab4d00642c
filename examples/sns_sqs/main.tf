# SNS topic fanning out to an SQS queue (raw message delivery), with the queue policy that allows it.
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

resource "aws_sns_topic" "events" {
  name         = "lsqm-sns-sqs-events"
  display_name = "lsqm sns_sqs example"

  tags = {
    Project = "lsqm"
    Example = "sns_sqs"
  }
}

resource "aws_sqs_queue" "subscriber" {
  name                       = "lsqm-sns-sqs-subscriber"
  visibility_timeout_seconds = 30
}

resource "aws_sqs_queue_policy" "allow_sns" {
  queue_url = aws_sqs_queue.subscriber.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowTopicToSend"
        Effect    = "Allow"
        Principal = { Service = "sns.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = aws_sqs_queue.subscriber.arn
        Condition = {
          ArnEquals = { "aws:SourceArn" = aws_sns_topic.events.arn }
        }
      }
    ]
  })
}

resource "aws_sns_topic_subscription" "queue" {
  topic_arn            = aws_sns_topic.events.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.subscriber.arn
  raw_message_delivery = true
}
