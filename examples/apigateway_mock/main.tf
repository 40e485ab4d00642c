# API Gateway REST API with a GET /ping MOCK integration, deployed to a "dev" stage.
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

resource "aws_api_gateway_rest_api" "api" {
  name        = "lsqm-apigateway-mock-api"
  description = "lsqm apigateway_mock example"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_resource" "ping" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "ping"
}

resource "aws_api_gateway_method" "get_ping" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.ping.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "get_ping" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.ping.id
  http_method = aws_api_gateway_method.get_ping.http_method
  type        = "MOCK"

  request_templates = {
    "application/json" = jsonencode({ statusCode = 200 })
  }
}

resource "aws_api_gateway_method_response" "get_ping_200" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.ping.id
  http_method = aws_api_gateway_method.get_ping.http_method
  status_code = "200"

  response_models = {
    "application/json" = "Empty"
  }
}

resource "aws_api_gateway_integration_response" "get_ping_200" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  resource_id = aws_api_gateway_resource.ping.id
  http_method = aws_api_gateway_method.get_ping.http_method
  status_code = aws_api_gateway_method_response.get_ping_200.status_code

  response_templates = {
    "application/json" = jsonencode({ message = "pong", service = "lsqm" })
  }

  depends_on = [aws_api_gateway_integration.get_ping]
}

resource "aws_api_gateway_deployment" "api" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  description = "lsqm deployment"

  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.ping.id,
      aws_api_gateway_method.get_ping.id,
      aws_api_gateway_integration.get_ping.id,
      aws_api_gateway_integration_response.get_ping_200.id,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "dev" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "dev"
  description   = "lsqm dev stage"

  variables = {
    environment = "dev"
  }
}
