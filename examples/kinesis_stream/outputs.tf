output "stream_name" {
  value = aws_kinesis_stream.clicks.name
}

output "stream_arn" {
  value = aws_kinesis_stream.clicks.arn
}
