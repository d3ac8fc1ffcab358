"""Discord's size limits, in one place, so every module that fits text to Discord agrees.

Numbers only (no Discord import), so `bot.core` can fit text before any cog sees it. Each value is
Discord's documented maximum; a module that wants less (a shorter snippet, say) names its own
constant and derives it from these where it can.
"""

from __future__ import annotations

from typing import Final

# Messages
MESSAGE_CHARS: Final = 2000

# Embeds
EMBED_TITLE_CHARS: Final = 256
EMBED_DESCRIPTION_CHARS: Final = 4096
EMBED_FIELD_NAME_CHARS: Final = 256
EMBED_FIELD_VALUE_CHARS: Final = 1024
EMBED_FIELDS: Final = 25
EMBED_FOOTER_CHARS: Final = 2048
EMBED_AUTHOR_NAME_CHARS: Final = 256
EMBED_TOTAL_CHARS: Final = 6000  # title, description, field names and values, footer, author together
EMBEDS_PER_MESSAGE: Final = 10

# Components
CUSTOM_ID_CHARS: Final = 100
BUTTON_LABEL_CHARS: Final = 80
SELECT_OPTIONS: Final = 25
SELECT_OPTION_LABEL_CHARS: Final = 100
SELECT_OPTION_DESCRIPTION_CHARS: Final = 100
SELECT_PLACEHOLDER_CHARS: Final = 150
ACTION_ROWS: Final = 5
BUTTONS_PER_ROW: Final = 5

# Modals (forms)
MODAL_TITLE_CHARS: Final = 45
MODAL_COMPONENTS: Final = 5
TEXT_INPUT_LABEL_CHARS: Final = 45
TEXT_INPUT_VALUE_CHARS: Final = 4000
TEXT_INPUT_PLACEHOLDER_CHARS: Final = 100
LABEL_TEXT_CHARS: Final = 45
LABEL_DESCRIPTION_CHARS: Final = 100

# Slash commands
COMMAND_NAME_CHARS: Final = 32
COMMAND_DESCRIPTION_CHARS: Final = 100
AUTOCOMPLETE_CHOICES: Final = 25
CHOICE_NAME_CHARS: Final = 100
CHOICE_VALUE_CHARS: Final = 100
