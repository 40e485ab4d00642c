# Kinesis data stream with one shard and 24 h retention; tests put and read back records.
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

resource "aws_kinesis_stream" "clicks" {
  name             = "lsqm-kinesis-stream-clicks"
  shard_count      = 1
  retention_period = 24

  tags = {
    Project = "lsqm"
    Example = "kinesis_stream"
  }
}
