"""Every way ``terraform init`` fails offline, classified from terraform 1.11.4's own output
(captured with lsqm's offline mirror, which holds hashicorp/aws 3.39.0 and hashicorp/null
2.1.2): what the mirror lacks is the environment's limit, never the configuration's fault."""

from __future__ import annotations

import pytest

from lsqm.records import Category
from lsqm.validation.classify import classify_terraform

EXACT_PIN = """Initializing the backend...
Initializing provider plugins...
- Finding hashicorp/aws versions matching "5.65.0"...

Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider hashicorp/aws:
no available releases match the given constraints 5.65.0

To see which modules are currently depending on hashicorp/aws and what
versions are specified, run the following command:
    terraform providers
"""

# Two providers pinned exactly ("= 5.65.0" and "3.2.2"): terraform reports null first.
TWO_PINS = """Initializing the backend...
Initializing provider plugins...
- Finding hashicorp/null versions matching "3.2.2"...
- Finding hashicorp/aws versions matching "5.65.0"...

Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider
hashicorp/null: no available releases match the given constraints 3.2.2

To see which modules are currently depending on hashicorp/null and what
versions are specified, run the following command:
    terraform providers

Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider hashicorp/aws:
no available releases match the given constraints 5.65.0

To see which modules are currently depending on hashicorp/aws and what
versions are specified, run the following command:
    terraform providers
"""

RANGE = """Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider hashicorp/aws:
no available releases match the given constraints ~> 5.0
"""

REQUIRED_VERSION = """Initializing the backend...

Error: Unsupported Terraform Core version

  on main.tf line 2, in terraform:
   2:   required_version = "1.5.7"

This configuration does not support Terraform version 1.11.4. To proceed,
either choose another supported Terraform version or update this version
constraint. Version constraints are normally set for good reason, so updating
the constraint may lead to other errors or unexpected behavior.
"""

OTHER_PROVIDER = """Initializing the backend...
Initializing provider plugins...
- Finding hashicorp/random versions matching "3.6.0"...

Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider
hashicorp/random: provider registry.terraform.io/hashicorp/random was not
found in any of the search locations

  - /root/.cache/lsqm/terraform/mirror
"""

# No constraint in the configuration, but its .terraform.lock.hcl selects 5.65.0.
LOCKED = """Initializing the backend...
Initializing provider plugins...
- Reusing previous version of hashicorp/aws from the dependency lock file

Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider hashicorp/aws:
the previously-selected version 5.65.0 is no longer available

To see which modules are currently depending on hashicorp/aws and what
versions are specified, run the following command:
    terraform providers
"""

GIT_MODULE = """Initializing the backend...
Initializing modules...
Downloading git::https://github.com/example/mod.git?ref=v1.0.0 for m...

Error: Failed to download module

  on main.tf line 1:
   1: module "m" {

Could not download module "m" (main.tf:1) source code from
"git::https://github.com/example/mod.git?ref=v1.0.0": error downloading
'https://github.com/example/mod.git?ref=v1.0.0': /usr/bin/git exited with
128: Cloning into '.terraform/modules/m'...
fatal: unable to access 'https://github.com/example/mod.git/': Could not
resolve host: github.com
"""

REGISTRY_MODULE = """Initializing the backend...
Initializing modules...

Error: Error accessing remote module registry

  on main.tf line 1:
   1: module "vpc" {

Failed to retrieve available versions for module "vpc" (main.tf:1) from
registry.terraform.io: failed to request discovery document: Get
"https://registry.terraform.io/.well-known/terraform.json": dial tcp: lookup
registry.terraform.io on 10.255.255.53:53: no such host.
"""


@pytest.mark.parametrize(
    ("output", "signature"),
    [
        (EXACT_PIN, "provider version constraint not satisfiable: hashicorp/aws 5.65.0"),
        (TWO_PINS, "provider version constraint not satisfiable: hashicorp/null 3.2.2"),
        (RANGE, "provider version constraint not satisfiable: hashicorp/aws ~> 5.0"),
        (REQUIRED_VERSION, "terraform 1.11.4 does not meet the configuration's required_version"),
        (OTHER_PROVIDER, "provider not available offline: registry.terraform.io/hashicorp/random"),
        (REGISTRY_MODULE, "network needed: Failed to retrieve available versions"),
        (GIT_MODULE, "network needed: Failed to download module"),
        (
            LOCKED,
            "provider version locked in .terraform.lock.hcl not available: hashicorp/aws 5.65.0",
        ),
    ],
)
def test_what_the_offline_toolchain_lacks_is_the_environment(output: str, signature: str) -> None:
    failure = classify_terraform("init", output)
    assert (failure.category, failure.signature) == (Category.ENVIRONMENT, signature)
