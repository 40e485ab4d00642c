# Step Functions state machine built from Pass states, with the IAM role it runs as.
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

resource "aws_iam_role" "sfn" {
  name = "lsqm-stepfunctions-pass-role"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "states.amazonaws.com" }
        Action    = "sts:AssumeRole"
      }
    ]
  })
}

resource "aws_sfn_state_machine" "greeter" {
  name     = "lsqm-stepfunctions-pass-greeter"
  role_arn = aws_iam_role.sfn.arn
  type     = "STANDARD"

  definition = jsonencode({
    Comment = "Pass states only: annotate the input, then reshape it"
    StartAt = "AddGreeting"
    States = {
      AddGreeting = {
        Type       = "Pass"
        Result     = { greeting = "hello", version = 1 }
        ResultPath = "$.meta"
        Next       = "Shape"
      }
      Shape = {
        Type = "Pass"
        Parameters = {
          "message.$" = "States.Format('{}, {}!', $.meta.greeting, $.name)"
          "name.$"    = "$.name"
          "version.$" = "$.meta.version"
          source      = "lsqm"
        }
        End = true
      }
    }
  })

  tags = {
    Project = "lsqm"
    Example = "stepfunctions_pass"
  }
}
