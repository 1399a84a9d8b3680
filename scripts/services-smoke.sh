#!/usr/bin/env bash
# Smoke check of the local services (start them first: scripts/services.sh start).
# One real round trip per service, with curl and psql only:
#   DynamoDB Local   create a table, list it, put and get an item, delete the table
#   moto SQS         create a FIFO queue, send, receive, delete the message and the queue
#   moto Step Fns    create a Pass state machine, run it, see SUCCEEDED with its output
#   PostgreSQL       select 1 in the ballast database
# Exits non-zero at the first failure, naming the step and what the service answered.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Same endpoints and credentials the tests get.
eval "$("$ROOT/scripts/services.sh" env)"
PSQL="${PG_BIN:-/usr/lib/postgresql/15/bin}/psql"
ID="smoke-$$-$(date +%s)" # unique names: runs never collide with each other or with tests
STEP=

fail() {
    echo "services-smoke: FAILED at: $STEP: $*" >&2
    echo "services-smoke: are the services up? scripts/services.sh status; logs in $ROOT/.local/log/" >&2
    exit 1
}
step() {
    STEP="$*"
    echo "services-smoke: $STEP" >&2
}

# A signed call in the AWS JSON protocol; prints the answer body, fails on a non-2xx.
# The signature matters: DynamoDB Local rejects unsigned calls, and moto picks the
# service from the signature's scope.
#   aws_call ENDPOINT SIGNING_NAME X-AMZ-TARGET JSON_BODY
aws_call() {
    local endpoint=$1 service=$2 target=$3 body=$4 out code
    out="$(curl -sS --max-time 10 -w '\n%{http_code}' -X POST \
        --aws-sigv4 "aws:amz:$AWS_REGION:$service" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
        -H 'Content-Type: application/x-amz-json-1.0' -H "X-Amz-Target: $target" \
        -d "$body" "$endpoint/" 2>&1)" || fail "no answer from $endpoint (${out%$'\n'*})"
    code="${out##*$'\n'}"
    out="${out%$'\n'*}"
    [[ "$code" == 2?? ]] || fail "$target answered HTTP $code: $out"
    printf '%s' "$out"
}

# The string value of "NAME" in a one-line JSON answer (enough for the answers used
# here). sed reads all its input, so the writer never sees a closed pipe.
json_field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p"; }

expect() { # expect HAYSTACK NEEDLE
    [[ "$1" == *"$2"* ]] || fail "expected $2 in: $1"
}

started_ms=$(($(date +%s%N) / 1000000))

# ---- DynamoDB Local
ddb() { aws_call "$BALLAST_DYNAMODB_ENDPOINT" dynamodb "DynamoDB_20120810.$1" "$2"; }
step "DynamoDB CreateTable $ID"
ddb CreateTable "{\"TableName\":\"$ID\",\"BillingMode\":\"PAY_PER_REQUEST\",
  \"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],
  \"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}" >/dev/null
step "DynamoDB ListTables"
expect "$(ddb ListTables '{}')" "\"$ID\""
step "DynamoDB PutItem + GetItem"
ddb PutItem "{\"TableName\":\"$ID\",\"Item\":{\"pk\":{\"S\":\"a\"},\"v\":{\"N\":\"42\"}}}" >/dev/null
expect "$(ddb GetItem "{\"TableName\":\"$ID\",\"Key\":{\"pk\":{\"S\":\"a\"}},\"ConsistentRead\":true}")" '"42"'
step "DynamoDB DeleteTable"
ddb DeleteTable "{\"TableName\":\"$ID\"}" >/dev/null

# ---- SQS on moto
sqs() { aws_call "$BALLAST_AWS_ENDPOINT" sqs "AmazonSQS.$1" "$2"; }
step "SQS CreateQueue $ID.fifo"
queue="$(sqs CreateQueue "{\"QueueName\":\"$ID.fifo\",\"Attributes\":{\"FifoQueue\":\"true\"}}" | json_field QueueUrl)"
[ -n "$queue" ] || fail "no QueueUrl in the answer"
step "SQS SendMessage"
sqs SendMessage "{\"QueueUrl\":\"$queue\",\"MessageBody\":\"hello $ID\",
  \"MessageGroupId\":\"g1\",\"MessageDeduplicationId\":\"d1\"}" >/dev/null
step "SQS ReceiveMessage"
received="$(sqs ReceiveMessage "{\"QueueUrl\":\"$queue\",\"MaxNumberOfMessages\":1,\"WaitTimeSeconds\":1}")"
expect "$received" "hello $ID"
receipt="$(printf '%s' "$received" | json_field ReceiptHandle)"
step "SQS DeleteMessage + DeleteQueue"
sqs DeleteMessage "{\"QueueUrl\":\"$queue\",\"ReceiptHandle\":\"$receipt\"}" >/dev/null
sqs DeleteQueue "{\"QueueUrl\":\"$queue\"}" >/dev/null

# ---- Step Functions on moto (needs execution switched on, which services.sh does)
sfn() { aws_call "$BALLAST_AWS_ENDPOINT" states "AWSStepFunctions.$1" "$2"; }
step "Step Functions CreateStateMachine $ID"
definition='{\"StartAt\":\"Hello\",\"States\":{\"Hello\":{\"Type\":\"Pass\",\"Result\":{\"smoke\":\"ok\"},\"End\":true}}}'
machine="$(sfn CreateStateMachine "{\"name\":\"$ID\",\"definition\":\"$definition\",
  \"roleArn\":\"arn:aws:iam::123456789012:role/smoke\"}" | json_field stateMachineArn)"
[ -n "$machine" ] || fail "no stateMachineArn in the answer"
step "Step Functions StartExecution"
execution="$(sfn StartExecution "{\"stateMachineArn\":\"$machine\",\"name\":\"run1\",\"input\":\"{}\"}" |
    json_field executionArn)"
[ -n "$execution" ] || fail "no executionArn in the answer"
step "Step Functions DescribeExecution until SUCCEEDED"
status=
for _ in $(seq 50); do
    described="$(sfn DescribeExecution "{\"executionArn\":\"$execution\"}")"
    status="$(printf '%s' "$described" | json_field status)"
    [ "$status" = RUNNING ] || break
    sleep 0.2
done
[ "$status" = SUCCEEDED ] || fail "execution status is '$status' (moto runs executions only with \
execute_state_machine on; RUNNING forever means it is off): $described"
expect "$described" 'smoke'
sfn DeleteStateMachine "{\"stateMachineArn\":\"$machine\"}" >/dev/null

# ---- PostgreSQL
step "PostgreSQL select 1 on $BALLAST_PG_URL"
out="$("$PSQL" -X -tA -v ON_ERROR_STOP=1 "$BALLAST_PG_URL" -c 'select 1' 2>&1)" || fail "$out"
[ "$out" = 1 ] || fail "expected 1, got: $out"

echo "services-smoke: all services answered ($(($(date +%s%N) / 1000000 - started_ms)) ms)" >&2
