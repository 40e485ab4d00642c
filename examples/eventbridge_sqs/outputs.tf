output "rule_name" {
  value = aws_cloudwatch_event_rule.order_placed.name
}

output "rule_arn" {
  value = aws_cloudwatch_event_rule.order_placed.arn
}

output "queue_url" {
  value = aws_sqs_queue.orders.id
}

output "queue_arn" {
  value = aws_sqs_queue.orders.arn
}
