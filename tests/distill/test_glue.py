"""GLUE TSV reading (the nine standard layouts), metrics and offline text encoding."""

import numpy as np
import pytest

from tfdisent.distill import glue, text

# One header + two rows per task, in the standard GLUE layouts.
FIXTURES = {
    "CoLA": ("", ["gj04\t1\t\tThe sailors rode the breeze clear of the rocks.",
                  "gj04\t0\t*\tThe more we study verbs, the crazier they get get."]),
    "SST-2": ("sentence\tlabel", ["a gorgeous film \t1", "dull and lifeless \t0"]),
    "MRPC": ("\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String",
             ["1\t702876\t702977\tHe said hello .\tHe greeted us .",
              "0\t2108705\t2108831\tRain today .\tSun tomorrow ."]),
    "STS-B": ("index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2"
              "\tscore",
              ["0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA plane takes off."
               "\tAn air plane is taking off.\t5.000",
               "1\tmain-captions\tMSRvid\t2012test\t0004\tnone\tnone\tA man plays a flute."
               "\tA man plays a guitar.\t1.5"]),
    "QQP": ("id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate",
            ["133273\t213221\t213222\tHow is life?\tHow are you?\t0",
             "402555\t536040\t536041\tWhat is AI?\tWhat is artificial intelligence?\t1",
             "5\tbroken row"]),
    "MNLI": ("index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse"
             "\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label",
             ["0\t31193\t31193n\tgovernment\t( a )\t( b )\t(ROOT a)\t(ROOT b)"
              "\tThe cat sat.\tA cat was sitting.\tentailment\tentailment",
              "1\t101457\t101457e\ttelephone\t( a )\t( b )\t(ROOT a)\t(ROOT b)"
              "\tYou know \"quotes\".\tNobody knows.\tcontradiction\tcontradiction"]),
    "QNLI": ("index\tquestion\tsentence\tlabel",
             ["0\tWhat came first?\tThe egg came first.\tentailment",
              "1\tWho won?\tIt rained.\tnot_entailment"]),
    "RTE": ("index\tsentence1\tsentence2\tlabel",
            ["0\tDana Reeve died.\tChristopher Reeve had an accident.\tnot_entailment",
             "1\tYet, we now are discovering.\tBacteria is winning.\tentailment"]),
    "WNLI": ("index\tsentence1\tsentence2\tlabel",
             ["0\tI stuck a pin through a carrot.\tThe carrot had a hole.\t1",
              "1\tJohn could not see the stage.\tJohn is tall.\t0"]),
}
EXPECTED = {
    "CoLA": ("The sailors rode the breeze clear of the rocks.", None, [1, 0]),
    "SST-2": ("a gorgeous film ", None, [1, 0]),
    "MRPC": ("He said hello .", "He greeted us .", [1, 0]),
    "STS-B": ("A plane takes off.", "An air plane is taking off.", [5.0, 1.5]),
    "QQP": ("How is life?", "How are you?", [0, 1]),
    "MNLI": ("The cat sat.", "A cat was sitting.", [1, 0]),
    "QNLI": ("What came first?", "The egg came first.", [0, 1]),
    "RTE": ("Dana Reeve died.", "Christopher Reeve had an accident.", [1, 0]),
    "WNLI": ("I stuck a pin through a carrot.", "The carrot had a hole.", [1, 0]),
}


def _write(path, header, rows):
    lines = ([header] if header else []) + rows
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_reads_standard_layout(tmp_path, name):
    task = glue.get_task(name)
    examples = glue.read_examples(task, _write(tmp_path / "train.tsv", *FIXTURES[name]))
    text_a, text_b, labels = EXPECTED[name]
    assert examples.text_a[0] == text_a
    assert (examples.text_b[0] if examples.text_b else None) == text_b
    np.testing.assert_allclose(examples.labels, labels)
    assert task.num_labels == (1 if name == "STS-B" else 3 if name == "MNLI" else 2)


def test_task_names_and_dev_files():
    assert glue.get_task("sst2") is glue.get_task("SST-2")
    assert glue.get_task("MNLI-mm") is glue.get_task("mnli")
    assert dict(glue.get_task("mnli").dev_files) == {"dev_matched": "dev_matched.tsv",
                                                     "dev_mismatched": "dev_mismatched.tsv"}
    with pytest.raises(ValueError, match="unknown GLUE task"):
        glue.get_task("squad")


def test_bad_files_fail_clearly(tmp_path):
    rte = glue.get_task("RTE")
    with pytest.raises(FileNotFoundError, match="gluebenchmark"):
        glue.read_examples(rte, str(tmp_path / "missing.tsv"))
    short = _write(tmp_path / "short.tsv", "index\tsentence1\tlabel", ["0\tonly one\tentailment"])
    with pytest.raises(ValueError, match=r"line 2 has 3 .* needs 4 \(index, sentence1"):
        glue.read_examples(rte, short)
    bad_label = _write(tmp_path / "bad.tsv", *FIXTURES["RTE"][:1], ["0\ta\tb\tmaybe"])
    with pytest.raises(ValueError, match="label 'maybe' is not one of"):
        glue.read_examples(rte, bad_label)


def test_metrics():
    logits = np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    labels = np.array([0, 1, 0, 0])
    assert glue.compute_metrics(glue.get_task("RTE"), logits, labels) == {"acc": 0.75}
    mrpc = glue.compute_metrics(glue.get_task("MRPC"), logits, labels)
    assert mrpc["f1"] == pytest.approx(2 / 3) and mrpc["acc_and_f1"] == pytest.approx((0.75 + 2 / 3) / 2)
    assert glue.compute_metrics(glue.get_task("CoLA"), logits, labels)["mcc"] == pytest.approx(
            1 / np.sqrt(3))
    scores = np.array([[1.0], [2.0], [3.0], [5.0]])
    stsb = glue.compute_metrics(glue.get_task("STS-B"), scores, np.array([1.0, 2.0, 3.0, 4.0]))
    assert stsb["spearmanr"] == pytest.approx(1.0) and 0.9 < stsb["pearson"] < 1.0


def test_text_encoder_offline(tmp_path):
    vocabulary = text.build_vocabulary(["Hello world, hello!", "the world"],
                                       str(tmp_path / "vocab.txt"))
    lines = open(vocabulary).read().split()
    assert lines[:5] == list(text.SPECIAL_TOKENS) and lines[5] == "hello"
    encoder = text.TextEncoder(vocabulary, sequence_length=8)
    single = encoder(["Hello world"])
    cls, sep = lines.index("[CLS]"), lines.index("[SEP]")
    np.testing.assert_array_equal(single["token_ids"][0],
                                  [cls, lines.index("hello"), lines.index("world"), sep, 0, 0, 0, 0])
    np.testing.assert_array_equal(single["padding_mask"][0], [1, 1, 1, 1, 0, 0, 0, 0])
    pair = encoder(["hello"], ["the unknownword"])
    np.testing.assert_array_equal(pair["segment_ids"][0], [0, 0, 0, 1, 1, 1, 0, 0])
    assert pair["token_ids"][0, 4] == lines.index("[UNK]")
    with pytest.raises(FileNotFoundError, match="vocabulary file not found"):
        text.TextEncoder(str(tmp_path / "none.txt"))
