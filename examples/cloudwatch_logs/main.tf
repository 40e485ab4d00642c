# CloudWatch Logs group with 14-day retention, a log stream and a metric filter counting errors.
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

resource "aws_cloudwatch_log_group" "app" {
  name              = "/lsqm/cloudwatch-logs/app"
  retention_in_days = 14

  tags = {
    Project = "lsqm"
    Example = "cloudwatch_logs"
  }
}

resource "aws_cloudwatch_log_stream" "web" {
  name           = "web-1"
  log_group_name = aws_cloudwatch_log_group.app.name
}

resource "aws_cloudwatch_log_metric_filter" "errors" {
  name           = "lsqm-cloudwatch-logs-errors"
  log_group_name = aws_cloudwatch_log_group.app.name
  pattern        = "ERROR"

  metric_transformation {
    name      = "ErrorCount"
    namespace = "LSQM/CloudWatchLogs"
    value     = "1"
  }
}
