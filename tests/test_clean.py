import pytest

from imr_search.letters.clean import clean_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\r\nb\r\n", "a\nb"),
        (
            "one \n\ntwo \n\n \n\nthree \n\nfour\n\nfive\n\nsix\n\nseven\n\neight\n\n",
            "one\ntwo\n\nthree\nfour\nfive\nsix\nseven\neight",
        ),
        ("end of page\n\n\fnext page", "end of page\nnext page"),
        ("electro-\nmyography and", "electromyography\nand"),
        ("electro\x02myography", "electromyography"),
        ("levels L4-\nL5", "levels L4-\nL5"),
        ("dated 10-30-\n2016, the", "dated 10-30-2016,\nthe"),
        ("Case Number:          CM16-0213037", "Case Number: CM16-0213037"),
        ("  centred heading  ", "centred heading"),
    ],
    ids=[
        "crlf",
        "double-spaced",
        "form-feed",
        "hyphen-break",
        "pdfium-soft-hyphen",
        "spine-level",
        "date-break",
        "layout-gap",
        "indent",
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean
