output "secret_arn" {
  value = aws_secretsmanager_secret.db.arn
}

output "secret_name" {
  value = aws_secretsmanager_secret.db.name
}

output "version_id" {
  value = aws_secretsmanager_secret_version.db.version_id
}
