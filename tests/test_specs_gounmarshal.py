"""Go's json.Decoder and unmarshal rules (specs/godecode.py go_decoder_read, specs/gounmarshal.py), table by table.
The texts are Go's; the wire-level rows (status, the routers' wording) are tests/test_mockd_body_decoding.py."""

from __future__ import annotations

import pytest

import specs
from specs.godecode import GoDecodeError, go_decode_error, go_decoder_read
from specs.gounmarshal import GoNames, GoUnmarshalError, go_type, go_unmarshal, parse_value

DECODER = [  # body -> (first value, More()) or Go's error
    (b'{"a":1}', (b'{"a":1}', False)),
    (b' {"a":1} \n', (b'{"a":1}', False)),
    (b'{"a":1} x', (b'{"a":1}', True)),
    (b'{"a":1}}', (b'{"a":1}', False)),  # More() is false before } and ]
    (b'5 6', (b"5", True)),
    (b"", "EOF"),
    (b" \n", "EOF"),
    (b'{"a":', "unexpected EOF"),
    (b'{"a" 1}', "invalid character '1' after object key"),
    (b"\xc3\xa9", "invalid character '\u00c3' looking for beginning of value"),  # a byte, quoted as its rune
    (b"\x01", "invalid character '\\x01' looking for beginning of value"),
    (b"\xb9u_K", "invalid character '\u00b9' looking for beginning of value"),  # not a digit to Go (found by fuzzing)
    (b"1\xb2", (b"1", True)),
    (b'{"a":tru}', "invalid character '}' in literal true (expecting 'e')"),
]


@pytest.mark.parametrize("body,expected", DECODER)
def test_decoder_reads_one_value_as_go(body, expected):
    if isinstance(expected, str):
        with pytest.raises(GoDecodeError) as err:
            go_decoder_read(body)
        assert err.value.text == expected and err.value.eof == (expected == "EOF")
    else:
        assert go_decoder_read(body) == expected


def test_unmarshal_texts_keep_theirs():
    assert go_decode_error('{"a":') == "unexpected end of JSON input"  # json.Unmarshal, not a Decoder


NAMES = GoNames(top="volume.VolumeCreateBody")


def _volume(body: bytes, names: GoNames = NAMES):
    spec = specs.load("1.41")
    schema = spec.operation_by_id("VolumeCreate").request_schema()
    return go_unmarshal(parse_value(body), go_type(spec, schema, names), names)


UNMARSHAL = [
    (b'{"name":"a","Name":"b"}', {"Name": "b"}),  # folded, the last wins
    (b'{"Name":"a","Name":null}', {"Name": "a"}),  # null leaves a string as it was
    (b'{"Labels":{"a":"1"},"Labels":null}', {"Labels": None}),  # and sets a map to nil
    (b'{"Labels":{"a":null}}', {"Labels": {"a": ""}}),  # a map element decoded from null is its zero value
    (b'{"Bogus":[1,{}],"Driver":"local"}', {"Driver": "local"}),  # unknown keys are skipped
    (b'{"Name":"\\ud800"}', {"Name": "\ufffd"}),  # a lone surrogate is U+FFFD
    (b'{"Labels":"x"}', "json: cannot unmarshal string into Go struct field VolumeCreateBody.Labels of type "
                        "map[string]string"),
    (b'{"Name":1,"Labels":"x"}', "json: cannot unmarshal number into Go struct field VolumeCreateBody.Name of type "
                                 "string"),  # the first error is the one reported
    (b"true", "json: cannot unmarshal bool into Go value of type volume.VolumeCreateBody"),
]


@pytest.mark.parametrize("body,expected", UNMARSHAL)
def test_unmarshal_follows_go(body, expected):
    if isinstance(expected, str):
        with pytest.raises(GoUnmarshalError) as err:
            _volume(body)
        assert err.value.text == expected
    else:
        assert _volume(body) == expected


def test_integer_widths_and_literals():
    spec = specs.load("1.41")
    schema = spec.operation_by_id("ContainerCreate").request_schema()
    names = GoNames(top="runconfig.ContainerConfigWrapper", components={"HostConfig": "container.HostConfig"},
                    fields={("Resources", "BlkioWeight"): "uint16"})
    typ = go_type(spec, schema, names)

    def memory(literal: str, field: str = "Memory"):
        return go_unmarshal(parse_value(b'{"HostConfig":{"%s":%s}}' % (field.encode(), literal.encode())), typ, names)

    assert memory("9223372036854775807") == {"HostConfig": {"Memory": 2 ** 63 - 1}}
    for literal in ("9223372036854775808", "1.0", "1e3"):
        with pytest.raises(GoUnmarshalError, match=f"number {literal} into Go struct field HostConfig.HostConfig.Memory"):
            memory(literal)
    assert memory("1000", "BlkioWeight") == {"HostConfig": {"BlkioWeight": 1000}}
    with pytest.raises(GoUnmarshalError, match="number 65536 .* of type uint16"):
        memory("65536", "BlkioWeight")
