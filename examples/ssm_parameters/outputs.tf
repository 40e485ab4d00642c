output "string_parameter_name" {
  value = aws_ssm_parameter.endpoint.name
}

output "stringlist_parameter_name" {
  value = aws_ssm_parameter.regions.name
}

output "secure_parameter_name" {
  value = aws_ssm_parameter.db_password.name
}

output "parameter_path" {
  value = "/lsqm-ssm-parameters/app"
}
