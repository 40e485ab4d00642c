output "alarm_name" {
  value = aws_cloudwatch_metric_alarm.queue_depth.alarm_name
}

output "alarm_arn" {
  value = aws_cloudwatch_metric_alarm.queue_depth.arn
}

output "topic_arn" {
  value = aws_sns_topic.alarms.arn
}

output "queue_url" {
  value = aws_sqs_queue.alarm_inbox.id
}
