using System.Buffers.Binary;
using System.Text;

namespace ActiveGate.SixLowpan.Tests.Support;

/// <summary>
/// Hand-built CoAP bytes for tests (deliberately independent of the Coap project's codec).
/// </summary>
internal static class TestCoap
{
    /// <summary>CON GET with a token and Uri-Path segments (option 11), as RFC 7252 §3 lays it out.</summary>
    public static byte[] Get(ushort messageId, byte[] token, params string[] path)
    {
        var bytes = new List<byte> { (byte)(0x40 | token.Length), 0x01, (byte)(messageId >> 8), (byte)messageId };
        bytes.AddRange(token);
        int previous = 0;
        foreach (string segment in path)
        {
            byte[] value = Encoding.ASCII.GetBytes(segment);
            int delta = 11 - previous;
            previous = 11;
            if (value.Length < 13)
            {
                bytes.Add((byte)((delta << 4) | value.Length));
            }
            else
            {
                bytes.Add((byte)((delta << 4) | 13));
                bytes.Add((byte)(value.Length - 13));
            }

            bytes.AddRange(value);
        }

        return [.. bytes];
    }

    /// <summary>Minimal parse: code, message id and Uri-Path (options with delta/length below 13 or 13).</summary>
    public static (byte Code, ushort MessageId, string UriPath) Parse(ReadOnlySpan<byte> message)
    {
        int tokenLength = message[0] & 0x0F;
        byte code = message[1];
        ushort mid = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        int i = 4 + tokenLength;
        int option = 0;
        var path = new StringBuilder();
        while (i < message.Length && message[i] != 0xFF)
        {
            int delta = message[i] >> 4;
            int length = message[i] & 0x0F;
            i++;
            if (delta == 13)
            {
                delta = message[i++] + 13;
            }

            if (length == 13)
            {
                length = message[i++] + 13;
            }

            option += delta;
            if (option == 11)
            {
                path.Append('/').Append(Encoding.ASCII.GetString(message.Slice(i, length)));
            }

            i += length;
        }

        return (code, mid, path.ToString());
    }
}
