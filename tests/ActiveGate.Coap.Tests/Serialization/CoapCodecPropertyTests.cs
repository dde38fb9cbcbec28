using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;
using CsCheck;

namespace ActiveGate.Coap.Tests.Serialization;

public sealed class CoapCodecPropertyTests
{
    private static readonly Gen<CoapOption> OptionGen =
        Gen.Select(
            Gen.OneOf(Gen.OneOfConst(1, 3, 4, 5, 6, 7, 8, 11, 12, 14, 15, 17, 20, 23, 27, 28, 35, 39, 60, 258), Gen.Int[0, 65535]),
            Gen.OneOf(Gen.Byte.Array[0, 12], Gen.Byte.Array[13, 300]),
            (number, value) => new CoapOption((CoapOptionNumber)number, value));

    private static readonly Gen<CoapMessage> MessageGen =
        Gen.Select(
            Gen.Int[0, 3],
            Gen.OneOf(Gen.Byte[1, 7], Gen.OneOfConst<byte>(0x41, 0x44, 0x45, 0x5F, 0x80, 0x84, 0x8D, 0xA0)),
            Gen.UShort,
            Gen.Byte.Array[0, 8],
            OptionGen.List[0, 8],
            Gen.OneOf(Gen.Byte.Array[0, 0], Gen.Byte.Array[1, 600]))
        .Select(t =>
        {
            (int typeChoice, byte code, ushort mid, byte[] token, List<CoapOption> options, byte[] payload) = t;
            var message = new CoapMessage
            {
                Code = new CoapCode(code),
                MessageId = mid,
                Token = CoapToken.FromBytes(token),
                Payload = payload,
            };

            // Respect §4: requests are CON/NON, responses CON/NON/ACK.
            message.Type = message.Code.IsRequest
                ? (typeChoice % 2 == 0 ? CoapMessageType.Confirmable : CoapMessageType.NonConfirmable)
                : (CoapMessageType)(typeChoice % 3);
            foreach (CoapOption option in options)
            {
                message.Options.Add(option);
            }

            return message;
        });

    [Fact]
    public void Decode_of_encode_is_identity()
    {
        MessageGen.Sample(message =>
        {
            byte[] wire = CoapMessageCodec.Encode(message);
            CoapMessage decoded = CoapMessageCodec.Read(wire);

            Assert.Equal(message.Type, decoded.Type);
            Assert.Equal(message.Code, decoded.Code);
            Assert.Equal(message.MessageId, decoded.MessageId);
            Assert.Equal(message.Token, decoded.Token);
            Assert.Equal(message.Options.ToList(), decoded.Options.ToList());
            Assert.True(message.Payload.Span.SequenceEqual(decoded.Payload.Span));
            Assert.Equal(wire, CoapMessageCodec.Encode(decoded));
        }, iter: 2000);
    }

    [Fact]
    public void No_byte_string_makes_the_parser_throw_anything_but_its_format_error()
    {
        Gen.Byte.Array[0, 64].Sample(bytes => AssertOnlyFormatErrors(bytes), iter: 20000);
    }

    [Fact]
    public void Mutated_valid_messages_parse_or_fail_cleanly()
    {
        Gen.Select(MessageGen, Gen.Int[0, 1000], Gen.Byte, Gen.Int[0, 3]).Sample(t =>
        {
            (CoapMessage message, int position, byte value, int mode) = t;
            byte[] wire = CoapMessageCodec.Encode(message);
            byte[] mutated = mode switch
            {
                0 => wire[..(position % (wire.Length + 1))],
                _ => Mutate(wire, position % wire.Length, value),
            };
            AssertOnlyFormatErrors(mutated);
        }, iter: 5000);

        static byte[] Mutate(byte[] wire, int position, byte value)
        {
            byte[] copy = (byte[])wire.Clone();
            copy[position] = value;
            return copy;
        }
    }

    private static void AssertOnlyFormatErrors(byte[] bytes)
    {
        bool parsed = CoapMessageCodec.TryRead(bytes, out CoapMessage? message, out CoapFormatError error);
        Assert.Equal(parsed, error == CoapFormatError.None);
        if (parsed)
        {
            // Whatever parses must re-encode to the same bytes.
            Assert.Equal(bytes, CoapMessageCodec.Encode(message!));
        }
        else
        {
            Assert.Throws<CoapFormatException>(() => CoapMessageCodec.Read(bytes));
        }
    }
}
