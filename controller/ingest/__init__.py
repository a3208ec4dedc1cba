"""MQTT in and out: the paho edge (`mqtt`) and the ingester that commits device messages (`ingester`)."""
