"""wuye.nlp — jieba keyword classifier for owners' messages.

    from nlp import classify
    r = classify("厨房水管爆了水流得到处都是")
    r.kind, r.urgency, r.category, r.area      # report emergency plumbing home
    r.confidence, r.keywords, r.low_confidence

Labels are the stable codes of ``shared/spec/taxonomy.md``. The rules live in
``nlp/rules.yaml`` (staff-editable); ``Classifier(rules_path=...)`` loads
another file, ``Classifier.default()`` is the cached process-wide instance.
"""

from .classifier import Classification, Classifier, classify

__all__ = ["Classification", "Classifier", "classify"]
