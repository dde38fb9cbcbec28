using System.Globalization;
using System.Text;

namespace ActiveGate.Coap.LinkFormat;

/// <summary>
/// Parses application/link-format (RFC 6690 §2):
/// <code>
/// link-value-list = [ link-value *[ "," link-value ]]
/// link-value      = "&lt;" URI-Reference "&gt;" *( ";" link-param )
/// link-param      = parmname [ "=" ( ptoken / quoted-string ) ]
/// </code>
/// Whitespace around separators is tolerated (libcoap and Californium emit none, some devices do).
/// </summary>
public static class LinkFormatParser
{
    /// <summary>Parses a document.</summary>
    /// <exception cref="LinkFormatException">The text is malformed.</exception>
    public static IReadOnlyList<CoapLink> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var links = new List<CoapLink>();
        int position = 0;
        SkipWhitespace(text, ref position);
        while (position < text.Length)
        {
            links.Add(ParseLink(text, ref position));
            SkipWhitespace(text, ref position);
            if (position < text.Length)
            {
                Expect(text, ref position, ',');
                SkipWhitespace(text, ref position);
            }
        }

        return links;
    }

    /// <summary>Parses a document; false when malformed.</summary>
    public static bool TryParse(string text, out IReadOnlyList<CoapLink> links)
    {
        try
        {
            links = Parse(text);
            return true;
        }
        catch (LinkFormatException)
        {
            links = [];
            return false;
        }
    }

    private static CoapLink ParseLink(string text, ref int position)
    {
        Expect(text, ref position, '<');
        int end = text.IndexOf('>', position);
        if (end < 0)
        {
            throw Error("unterminated '<'", position);
        }

        var link = new CoapLink(text[position..end]);
        position = end + 1;
        while (true)
        {
            SkipWhitespace(text, ref position);
            if (position >= text.Length || text[position] != ';')
            {
                return link;
            }

            position++;
            SkipWhitespace(text, ref position);
            int nameStart = position;
            while (position < text.Length && IsNameChar(text[position]))
            {
                position++;
            }

            if (position == nameStart)
            {
                throw Error("expected a parameter name", position);
            }

            string name = text[nameStart..position];
            SkipWhitespace(text, ref position);
            string? value = null;
            if (position < text.Length && text[position] == '=')
            {
                position++;
                SkipWhitespace(text, ref position);
                value = position < text.Length && text[position] == '"' ? ParseQuoted(text, ref position) : ParseToken(text, ref position);
            }

            link.Add(name, value);
        }
    }

    private static string ParseQuoted(string text, ref int position)
    {
        position++;
        var builder = new StringBuilder();
        while (position < text.Length)
        {
            char c = text[position++];
            if (c == '"')
            {
                return builder.ToString();
            }

            if (c == '\\')
            {
                if (position >= text.Length)
                {
                    break;
                }

                c = text[position++];
            }

            builder.Append(c);
        }

        throw Error("unterminated quoted string", position);
    }

    private static string ParseToken(string text, ref int position)
    {
        int start = position;
        while (position < text.Length && text[position] is not (',' or ';') && !char.IsWhiteSpace(text[position]))
        {
            position++;
        }

        return text[start..position];
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '&' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~' or '*';

    private static void Expect(string text, ref int position, char expected)
    {
        if (position >= text.Length || text[position] != expected)
        {
            throw Error($"expected '{expected}'", position);
        }

        position++;
    }

    private static void SkipWhitespace(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }

    private static LinkFormatException Error(string what, int position) =>
        new(string.Create(CultureInfo.InvariantCulture, $"Malformed link format at offset {position}: {what}."));
}
