output "log_group_name" {
  value = aws_cloudwatch_log_group.app.name
}

output "log_group_arn" {
  value = aws_cloudwatch_log_group.app.arn
}

output "log_stream_name" {
  value = aws_cloudwatch_log_stream.web.name
}

output "metric_filter_name" {
  value = aws_cloudwatch_log_metric_filter.errors.name
}
