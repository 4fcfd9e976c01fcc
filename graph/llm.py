"""The connection to an OpenAI-compatible model, shared by every LLM path.

The model only talks: it turns free text into structured requests and phrases replies.
Whatever it returns is validated here (structured output) or by the caller (tool arguments)
before any deterministic tool sees it.

Configuration comes from the environment:

- ``OPENAI_API_KEY`` (unset): turns the LLM backend on when set.
- ``OPENAI_BASE_URL`` (the SDK's default): any OpenAI-compatible endpoint (``.../v1``).
- ``RETURNBRIDGE_LLM_MODEL`` (``gpt-4o-mini``): the model name sent with every request.
- ``RETURNBRIDGE_LLM_TIMEOUT_SECONDS`` (``30``): per-request timeout.
- ``RETURNBRIDGE_LLM_MAX_RETRIES`` (``2``): retries on 429, 5xx and timeouts (SDK backoff).

Public API:

- :class:`LLMConfig` — the settings above; ``LLMConfig.from_env()`` reads them,
  ``config.enabled`` is true when a key is set.
- :func:`llm_enabled` — shorthand for ``LLMConfig.from_env().enabled``.
- :func:`make_client` — an ``openai.OpenAI`` client built from a config.
- :class:`LLM` — a client plus its model: ``LLM.chat(messages, tools=...)`` returns the
  assistant message (``openai`` types), ``LLM.structured(messages, Schema)`` returns a validated
  instance of a pydantic model.
- :class:`LLMError` and its subclasses :class:`LLMNotConfigured`, :class:`LLMUnavailable`
  (the endpoint failed after the SDK's retries, or timed out) and :class:`LLMBadOutput` (the
  answer could not be read as the asked shape). Each carries a message safe to log; callers
  turn them into a friendly reply and fall back, never into a traceback.

Example::

    llm = LLM(LLMConfig.from_env())
    verdict = llm.structured(
        [{"role": "system", "content": "..."}, {"role": "user", "content": text}],
        SupplierReply,
    )
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletionMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_RETRIES = 2

SchemaT = TypeVar("SchemaT", bound=BaseModel)


class LLMError(Exception):
    """Base of every failure of the LLM path; ``str(error)`` is safe to log."""


class LLMNotConfigured(LLMError):
    """No ``OPENAI_API_KEY``: the LLM backend is off."""


class LLMUnavailable(LLMError):
    """The endpoint did not answer usefully (timeout, connection, HTTP error after retries)."""


class LLMBadOutput(LLMError):
    """The model answered, but not in the shape asked for."""


class LLMConfig(BaseModel):
    """Where the model is and how long to wait for it."""

    model_config = ConfigDict(frozen=True)

    api_key: str | None = None
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    timeout_seconds: float = Field(default=DEFAULT_TIMEOUT_SECONDS, gt=0)
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)

    @property
    def enabled(self) -> bool:
        return bool(self.api_key)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LLMConfig:
        """Read the configuration from ``environ`` (default: ``os.environ``)."""
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def number(name: str, default: float) -> float:
            raw = text(name)
            if raw is None:
                return default
            try:
                return float(raw)
            except ValueError as error:
                raise LLMError(f"{name} must be a number, got {raw!r}") from error

        return cls(
            api_key=text("OPENAI_API_KEY"),
            base_url=text("OPENAI_BASE_URL"),
            model=text("RETURNBRIDGE_LLM_MODEL") or DEFAULT_MODEL,
            timeout_seconds=number("RETURNBRIDGE_LLM_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS),
            max_retries=int(number("RETURNBRIDGE_LLM_MAX_RETRIES", DEFAULT_MAX_RETRIES)),
        )


def llm_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``OPENAI_API_KEY`` is set (the LLM backend is available)."""
    return LLMConfig.from_env(environ).enabled


def make_client(config: LLMConfig | None = None) -> openai.OpenAI:
    """An ``openai.OpenAI`` client with the config's key, endpoint, timeout and retries.

    Raises:
        LLMNotConfigured: no API key in the config.
    """
    config = config or LLMConfig.from_env()
    if not config.enabled:
        raise LLMNotConfigured("OPENAI_API_KEY is not set; the LLM backend is off")
    return openai.OpenAI(
        api_key=config.api_key,
        base_url=config.base_url,
        timeout=config.timeout_seconds,
        max_retries=config.max_retries,
    )


def _describe(error: openai.OpenAIError) -> str:
    if isinstance(error, openai.APITimeoutError):
        return "the language model did not answer in time"
    if isinstance(error, openai.APIStatusError):
        return f"the language model endpoint answered HTTP {error.status_code}"
    if isinstance(error, openai.APIConnectionError):
        return "the language model endpoint could not be reached"
    return f"the language model call failed ({type(error).__name__})"


class LLM:
    """A configured client and its model name.

    Args:
        config: the connection settings (default: from the environment).
        client: an existing ``openai.OpenAI`` client to use instead of building one.
    """

    def __init__(self, config: LLMConfig | None = None, client: openai.OpenAI | None = None):
        self.config = config or LLMConfig.from_env()
        self.client = client or make_client(self.config)

    @property
    def model(self) -> str:
        return self.config.model

    def chat(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        tools: Iterable[Mapping[str, Any]] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        response_format: Mapping[str, Any] | None = None,
        temperature: float = 0.0,
    ) -> ChatCompletionMessage:
        """One chat-completions call; returns the first choice's assistant message.

        ``tools`` are OpenAI function-tool specs (``{"type": "function", "function": {...}}``).
        The SDK retries 429/5xx/timeouts ``config.max_retries`` times with backoff.

        Raises:
            LLMUnavailable: the call still failed after the retries, or returned no choice.
        """
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "temperature": temperature,
        }
        tool_list = list(tools or [])
        if tool_list:
            kwargs["tools"] = tool_list
            if tool_choice is not None:
                kwargs["tool_choice"] = tool_choice
        if response_format is not None:
            kwargs["response_format"] = dict(response_format)
        try:
            completion = self.client.chat.completions.create(**kwargs)
        except openai.OpenAIError as error:
            raise LLMUnavailable(_describe(error)) from error
        if not getattr(completion, "choices", None):
            raise LLMUnavailable("the language model returned no answer")
        return completion.choices[0].message

    def structured(
        self,
        messages: Sequence[Mapping[str, Any]],
        schema: type[SchemaT],
        *,
        name: str | None = None,
        repair_attempts: int = 1,
    ) -> SchemaT:
        """Ask for a JSON object of ``schema``'s shape and validate it with pydantic.

        Sends ``response_format={"type": "json_schema", ...}`` with the model's JSON schema.
        An answer that is not JSON or does not validate is sent back once (``repair_attempts``)
        with the validation error, so the model can correct it.

        Raises:
            LLMUnavailable: the endpoint failed.
            LLMBadOutput: still not a valid object after the repair attempts.
        """
        response_format = {
            "type": "json_schema",
            "json_schema": {
                "name": name or schema.__name__,
                "schema": schema.model_json_schema(),
                "strict": False,
            },
        }
        conversation = list(messages)
        problem = ""
        for _attempt in range(repair_attempts + 1):
            message = self.chat(conversation, response_format=response_format)
            content = message.content or ""
            try:
                return schema.model_validate(json.loads(_strip_fences(content)))
            except json.JSONDecodeError:
                problem = "the answer was not a JSON object"
            except ValidationError as error:
                problem = f"the JSON did not match the schema: {_short_errors(error)}"
            conversation = [
                *conversation,
                {"role": "assistant", "content": content},
                {
                    "role": "user",
                    "content": f"That answer cannot be used: {problem}. "
                    "Answer again with only a JSON object of the requested shape.",
                },
            ]
        raise LLMBadOutput(f"the language model's answer was unusable: {problem}")


def _strip_fences(content: str) -> str:
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`")
        if text.lower().startswith("json"):
            text = text[4:]
    return text.strip()


def _short_errors(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "(root)"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)
