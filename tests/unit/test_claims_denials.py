"""Denials (kronika/claims/denials.py): statements without a figure that deny a casualty or attack."""
from __future__ import annotations

import pytest

from kronika.claims import Denial, extract_denials


@pytest.mark.parametrize("text, category, speaker, words", [
    ("The Ministry of Defence denied that any missiles had hit the airfield.", "missiles", "The Ministry of Defence", "denied"),
    ("У Міноборони спростували інформацію про загиблих серед військових.", "killed", "Міноборони", "спростували"),
    ("В Минобороны опровергли сообщения о попадании ракет в аэродром.", "missiles", "Минобороны", "опровергли"),
    ("Відео, на якому нібито третя ракета падає в річку біля порту, не відповідає дійсності.", "missiles", None,
     "не відповідає дійсності"),
])
def test_a_denial_names_what_was_denied_and_who_denied_it(text, category, speaker, words):
    (denial,) = extract_denials(text)
    assert isinstance(denial, Denial)
    assert (denial.category, denial.speaker, text[denial.start:denial.end]) == (category, speaker, words)


def test_no_denial_without_a_denying_word_or_a_category():
    assert extract_denials("Nine people were injured, the governor said.") == []
    assert extract_denials("The ministry denied that a military facility had been hit.") == []
