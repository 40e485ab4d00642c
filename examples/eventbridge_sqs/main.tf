# EventBridge rule matching custom order events, delivering them to an SQS queue target.
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

resource "aws_sqs_queue" "orders" {
  name = "lsqm-eventbridge-sqs-orders"
}

resource "aws_cloudwatch_event_rule" "order_placed" {
  name        = "lsqm-eventbridge-sqs-order-placed"
  description = "Order placed events from the lsqm shop"

  event_pattern = jsonencode({
    source        = ["lsqm.shop"]
    "detail-type" = ["OrderPlaced"]
  })

  tags = {
    Project = "lsqm"
    Example = "eventbridge_sqs"
  }
}

resource "aws_cloudwatch_event_target" "to_queue" {
  rule      = aws_cloudwatch_event_rule.order_placed.name
  target_id = "orders-queue"
  arn       = aws_sqs_queue.orders.arn
}

resource "aws_sqs_queue_policy" "allow_events" {
  queue_url = aws_sqs_queue.orders.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowEventBridge"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = aws_sqs_queue.orders.arn
        Condition = {
          ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.order_placed.arn }
        }
      }
    ]
  })
}
