"""Checks called by the tests that lsqm's rules generator writes.

Each check exercises one deployed resource through the emulator's AWS API and fails with a
message saying what differed. Identifiers (bucket names, queue URLs, ARNs) always come from
the Terraform state the test receives (``resource["values"]``), never from resource names.

A ``declared`` mapping holds what the Terraform configuration asked for: a literal from the
HCL, or ``FROM_STATE`` when the HCL computes the value (then Terraform's recorded value is
the expectation).

The checks live in one module per service (``lsqm_checks_<service>.py``, shared helpers in
``lsqm_checks_core.py``), all copied verbatim into every generated app; this module gathers
their public names, so a test imports only ``lsqm_checks``. Regenerate rather than edit.
They need only the standard library, pytest and boto3.
"""

from lsqm_checks_apigateway import *
from lsqm_checks_awslambda import *
from lsqm_checks_cloudwatch import *
from lsqm_checks_core import *
from lsqm_checks_dynamodb import *
from lsqm_checks_events import *
from lsqm_checks_iam import *
from lsqm_checks_kinesis import *
from lsqm_checks_kms import *
from lsqm_checks_logs import *
from lsqm_checks_s3 import *
from lsqm_checks_secretsmanager import *
from lsqm_checks_sns import *
from lsqm_checks_sqs import *
from lsqm_checks_ssm import *
from lsqm_checks_stepfunctions import *
