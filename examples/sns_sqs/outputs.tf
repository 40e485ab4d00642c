output "topic_arn" {
  value = aws_sns_topic.events.arn
}

output "queue_url" {
  value = aws_sqs_queue.subscriber.id
}

output "queue_arn" {
  value = aws_sqs_queue.subscriber.arn
}

output "subscription_arn" {
  value = aws_sns_topic_subscription.queue.arn
}
