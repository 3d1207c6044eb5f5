#!/bin/bash
# User data for the Gaudi (DL1) launch template: the same node agent as on Azure, reaching the same Azure Storage.
# An EC2 instance has no Azure identity, so it reads a storage connection string (a SAS limited to what the agent
# does: add to job-events, write blobs in telemetry, read tables) from AWS Secrets Manager with its instance profile
# (infra/agent/aws-instance-policy.json). Replace __SECRET_ARN__, __AWS_REGION__ and __AGENT_PACKAGE_URL__.
# The launch template must allow tags in instance metadata (InstanceMetadataTags=enabled): the agent reads
# carbon-job and carbon-node from IMDSv2.
set -euo pipefail
dnf install -y dotnet-runtime-10.0 unzip awscli || apt-get install -y dotnet-runtime-10.0 unzip awscli
connection=$(aws secretsmanager get-secret-value --region __AWS_REGION__ --secret-id __SECRET_ARN__ --query SecretString --output text)
mkdir -p /etc/carbon-agent /opt/carbon-agent
umask 077
cat > /etc/carbon-agent/agent.env <<ENV
Carbon__Storage__ConnectionString=${connection}
Agent__Identity=aws
ENV
curl -sSfL -o /tmp/carbon-agent.zip "__AGENT_PACKAGE_URL__"
unzip -o /tmp/carbon-agent.zip -d /opt/carbon-agent
cat > /etc/systemd/system/carbon-agent.service <<'UNIT'
[Unit]
Description=CarbonFunctions node agent
After=network-online.target docker.service
[Service]
EnvironmentFile=/etc/carbon-agent/agent.env
ExecStart=/usr/bin/dotnet /opt/carbon-agent/CarbonFunctions.Agent.dll
TimeoutStopSec=180
Restart=on-failure
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now carbon-agent
