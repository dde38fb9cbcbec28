using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;

namespace ActiveGate.Coap.Tests.Serialization;

public sealed class CoapFuzzCorpusTests
{
    public static TheoryData<string> Corpus()
    {
        var data = new TheoryData<string>();
        string path = Path.Combine(AppContext.BaseDirectory, "Serialization", "fuzz-corpus.txt");
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                data.Add(line.Trim());
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Corpus_inputs_parse_or_fail_with_the_format_error_only(string hex)
    {
        byte[] wire = Convert.FromHexString(hex);

        bool parsed = CoapMessageCodec.TryRead(wire, out CoapMessage? message, out CoapFormatError error);

        if (parsed)
        {
            Assert.Equal(CoapFormatError.None, error);
            Assert.Equal(wire, CoapMessageCodec.Encode(message!));
        }
        else
        {
            Assert.NotEqual(CoapFormatError.None, error);
            Assert.Equal(error, Assert.Throws<CoapFormatException>(() => CoapMessageCodec.Read(wire)).Error);
            Assert.False(CoapMessageView.TryParse(wire, out _, out _));
        }
    }
}
