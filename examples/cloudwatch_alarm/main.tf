# CloudWatch metric alarm on a custom metric, notifying an SNS topic that feeds an SQS queue.
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

resource "aws_sns_topic" "alarms" {
  name = "lsqm-cloudwatch-alarm-notifications"
}

resource "aws_sqs_queue" "alarm_inbox" {
  name = "lsqm-cloudwatch-alarm-inbox"
}

resource "aws_sqs_queue_policy" "allow_sns" {
  queue_url = aws_sqs_queue.alarm_inbox.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "sns.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = aws_sqs_queue.alarm_inbox.arn
        Condition = {
          ArnEquals = { "aws:SourceArn" = aws_sns_topic.alarms.arn }
        }
      }
    ]
  })
}

resource "aws_sns_topic_subscription" "inbox" {
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.alarm_inbox.arn
}

resource "aws_cloudwatch_metric_alarm" "queue_depth" {
  alarm_name          = "lsqm-cloudwatch-alarm-queue-depth"
  alarm_description   = "Backlog above 100 jobs for two minutes"
  namespace           = "LSQM/CloudWatchAlarm"
  metric_name         = "Backlog"
  dimensions          = { Queue = "jobs" }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 2
  threshold           = 100
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = {
    Project = "lsqm"
    Example = "cloudwatch_alarm"
  }
}
