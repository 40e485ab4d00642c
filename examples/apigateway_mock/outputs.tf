output "rest_api_id" {
  value = aws_api_gateway_rest_api.api.id
}

output "stage_name" {
  value = aws_api_gateway_stage.dev.stage_name
}

output "resource_path" {
  value = aws_api_gateway_resource.ping.path
}

output "deployment_id" {
  value = aws_api_gateway_deployment.api.id
}
