"""Imports every domain's models so that Base.metadata is complete (Alembic, create_all)."""

from maillon.accounts import models as accounts_models  # noqa: F401
from maillon.api import models as api_models  # noqa: F401
from maillon.db import Base
from maillon.federation import models as federation_models  # noqa: F401
from maillon.hubs import models as hubs_models  # noqa: F401
from maillon.introductions import models as introductions_models  # noqa: F401
from maillon.jobs import models as jobs_models  # noqa: F401
from maillon.members import models as members_models  # noqa: F401
from maillon.moderation import models as moderation_models  # noqa: F401
from maillon.network import endorsement_models as endorsement_models  # noqa: F401
from maillon.network import models as network_models  # noqa: F401
from maillon.network import recommendation_models as recommendation_models  # noqa: F401
from maillon.notifications import models as notifications_models  # noqa: F401
from maillon.operators import models as operators_models  # noqa: F401
from maillon.opportunities import models as opportunities_models  # noqa: F401
from maillon.ops import models as ops_models  # noqa: F401
from maillon.organisations import models as organisations_models  # noqa: F401
from maillon.questions import models as questions_models  # noqa: F401
from maillon.tenancy import models as tenancy_models  # noqa: F401

metadata = Base.metadata
