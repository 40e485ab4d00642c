output "key_id" {
  value = aws_kms_key.app.key_id
}

output "key_arn" {
  value = aws_kms_key.app.arn
}

output "alias_name" {
  value = aws_kms_alias.app.name
}

output "alias_arn" {
  value = aws_kms_alias.app.arn
}
