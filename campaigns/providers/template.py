"""The offline draft writer: a deterministic email from the same context Gemini gets.

No network, no key, no randomness: the same context always gives the same text, so it is
what a self-hosted install without an AI key uses, and what tests can compare exactly.
The UI labels these drafts "Offline template draft — no AI".
"""

from __future__ import annotations

from campaigns.models import Provider
from campaigns.offers import driver_themes
from campaigns.prompts import PROMPT_VERSION
from campaigns.providers.base import DraftText

TEMPLATE_VERSION = f"template-3/{PROMPT_VERSION}"

THEME_SENTENCES = {
    "contract": "A longer plan could lower what you pay each month, and we would like to "
    "make switching easy for you.",
    "price": "We want to be sure you are getting good value for what you pay.",
    "support": "We know you have had to contact our support team recently, and we want to "
    "make that right.",
    "returns": "We noticed a recent return and want to make sure your next order is a hit.",
    "inactivity": "We have missed you lately, and a lot has improved since your last visit.",
    "new": "You joined us recently, and we want your first months to go smoothly.",
}

# Someone who has left is past the "new customer" stage, and "we have missed you" is said
# already in the opening.
FORMER_THEME_SENTENCES = {
    theme: sentence for theme, sentence in THEME_SENTENCES.items() if theme != "new"
} | {
    "support": "We know you had to contact our support team before you left, and we want to "
    "make that right.",
    "inactivity": "A lot has improved since your last visit.",
}


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


class TemplateProvider:
    name = Provider.TEMPLATE
    model_name = "offline-template"

    def write(self, context: dict) -> DraftText:
        customer = context.get("customer") or {}
        churn = context.get("churn") or {}
        offer = context.get("offer") or {}
        recommendations = context.get("recommendations") or {}
        campaign = context.get("campaign") or {}
        first_name = customer.get("first_name") or "there"
        former = bool(customer.get("former_customer"))
        headline = offer.get("headline") or (
            "We would love to have you back" if former else "A thank-you from us"
        )

        paragraphs = [f"Hi {first_name},"]
        tenure = customer.get("tenure_months")
        long_enough = isinstance(tenure, int) and tenure >= 2
        plan = customer.get("plan")
        on_plan = f" on the {plan} plan" if plan else ""
        if former:
            for_months = f" for {tenure} months" if long_enough else ""
            paragraphs.append(
                f"We have missed you since you left. You were with us{for_months}{on_plan}, "
                "and we would love to welcome you back."
            )
        else:
            for_past = f" for the past {tenure} months" if long_enough else ""
            paragraphs.append(f"Thank you for being with us{for_past}{on_plan}.")

        wording = FORMER_THEME_SENTENCES if former else THEME_SENTENCES
        themes = [t for t in driver_themes(churn.get("drivers") or []) if t in wording]
        sentences = [wording[t] for t in themes[:2]]
        if sentences:
            paragraphs.append(" ".join(sentences))

        lead = "To welcome you back" if former else "As a thank-you"
        offer_line = f"{lead}, here is an offer just for you: {headline}."
        if offer.get("details"):
            offer_line += f" {offer['details']}"
        paragraphs.append(offer_line)

        products = [item["name"] for item in recommendations.get("products") or []][:3]
        content = [item["name"] for item in recommendations.get("content") or []][:2]
        if products:
            paragraphs.append(f"Picked for you: {_join(products)}.")
        if content:
            # Quoted: content is read, watched or listened to, and titles carry colons.
            quoted = [f"\u201c{title}\u201d" for title in content]
            paragraphs.append(f"You might also like {_join(quoted)}.")

        paragraphs.append(
            "If there is anything we can do better, simply reply to this email; a real person "
            "reads every answer."
        )
        sender = (campaign.get("sender_name") or "").strip()
        sign_off = f"The {sender} team" if sender else "The customer team"
        paragraphs.append(f"Best regards,\n{sign_off}")

        subject = f"{first_name}, {headline[0].lower() + headline[1:]}"
        return DraftText(
            subject=subject,
            body="\n\n".join(paragraphs),
            offer=headline,
            provider=self.name,
            model_name=self.model_name,
            prompt_version=TEMPLATE_VERSION,
            meta={"http_attempts": 0},
        )
