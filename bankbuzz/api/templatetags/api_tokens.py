from django import template

from bankbuzz.api import tokens

register = template.Library()


@register.simple_tag
def api_tokens_of(user):
    """The profile page's token section: the person's own tokens, newest first (bounded)."""
    return tokens.tokens_of(user)


@register.simple_tag
def api_token_lifetimes():
    return tokens.LIFETIMES_DAYS
