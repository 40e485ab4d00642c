output "role_name" {
  value = aws_iam_role.app.name
}

output "role_arn" {
  value = aws_iam_role.app.arn
}

output "inline_policy_name" {
  value = aws_iam_role_policy.logs.name
}

output "managed_policy_arn" {
  value = aws_iam_policy.read_bucket.arn
}
