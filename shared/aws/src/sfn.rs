//! Starting the rebalance state machine: one execution per job, named after the job, so
//! a second start of the same job finds the first.

use aws_sdk_sfn::Client;
use ballast_flow::model::Job;
use ballast_flow::ports::{PortResult, Workflow};

use crate::port_error;

#[derive(Clone, Debug)]
pub struct SfnWorkflow {
    client: Client,
    state_machine_arn: String,
}

impl SfnWorkflow {
    pub fn new(client: Client, state_machine_arn: impl Into<String>) -> Self {
        SfnWorkflow { client, state_machine_arn: state_machine_arn.into() }
    }

    /// The ARN of a job's execution: the state machine's ARN with `execution` for
    /// `stateMachine` and the job id appended.
    pub fn execution_arn(&self, job_id: &str) -> String {
        format!("{}:{job_id}", self.state_machine_arn.replacen(":stateMachine:", ":execution:", 1))
    }
}

impl Workflow for SfnWorkflow {
    async fn start(&self, job: &Job, batches: &[u32]) -> PortResult<String> {
        let input = serde_json::json!({ "job_id": job.id, "batches": batches }).to_string();
        let r = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(&job.id)
            .input(input)
            .send()
            .await;
        match r {
            Ok(out) => Ok(out.execution_arn),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_execution_already_exists()) => {
                Ok(self.execution_arn(&job.id))
            }
            Err(e) => Err(port_error("workflow", e)),
        }
    }
}

/// Resumes a workflow waiting on a task token (the nightly ETF run's review wait).
#[derive(Clone, Debug)]
pub struct SfnTaskTokens {
    client: Client,
}

impl SfnTaskTokens {
    pub fn new(client: Client) -> Self {
        SfnTaskTokens { client }
    }
}

impl ballast_flow::etf::ReviewWorkflow for SfnTaskTokens {
    async fn resume(&self, task_token: &str, output: &serde_json::Value) -> PortResult<()> {
        self.client
            .send_task_success()
            .task_token(task_token)
            .output(output.to_string())
            .send()
            .await
            .map_err(|e| port_error("workflow task token", e))?;
        Ok(())
    }
}
