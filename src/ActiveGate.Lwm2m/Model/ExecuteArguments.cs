namespace ActiveGate.Lwm2m.Model;

/// <summary>
/// Execute arguments (Core TS 5.4.5): a comma separated list of <c>digit</c> or <c>digit='value'</c>,
/// for example <c>0,1='http://x',2='a b'</c>. Values are printable ASCII except the quote.
/// </summary>
public sealed class ExecuteArguments
{
    public static ExecuteArguments Empty { get; } = new(string.Empty, []);

    private ExecuteArguments(string raw, IReadOnlyList<KeyValuePair<int, string?>> items)
    {
        Raw = raw;
        Items = items;
    }

    /// <summary>The payload as received.</summary>
    public string Raw { get; }

    /// <summary>Arguments in the order received; the value is null for a bare digit.</summary>
    public IReadOnlyList<KeyValuePair<int, string?>> Items { get; }

    public bool TryGet(int argument, out string? value)
    {
        foreach (var (key, v) in Items)
        {
            if (key == argument)
            {
                value = v;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>Parses the payload; throws <see cref="Lwm2mException"/> (4.00) with the reason when it is malformed.</summary>
    public static ExecuteArguments Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return Empty;
        }

        var items = new List<KeyValuePair<int, string?>>();
        int i = 0;
        while (true)
        {
            if (i >= text.Length || text[i] < '0' || text[i] > '9')
            {
                throw Malformed(i, "expected an argument digit");
            }

            int key = text[i++] - '0';
            string? value = null;
            if (i < text.Length && text[i] == '=')
            {
                i++;
                if (i >= text.Length || text[i] != '\'')
                {
                    throw Malformed(i, "expected a quoted value");
                }

                int end = text.IndexOf('\'', i + 1);
                if (end < 0)
                {
                    throw Malformed(i, "unterminated value");
                }

                value = text.Substring(i + 1, end - i - 1);
                foreach (char c in value)
                {
                    if (c < 0x20 || c > 0x7E)
                    {
                        throw Malformed(i, "values must be printable ASCII");
                    }
                }

                i = end + 1;
            }

            items.Add(new KeyValuePair<int, string?>(key, value));
            if (i == text.Length)
            {
                break;
            }

            if (text[i] != ',')
            {
                throw Malformed(i, "expected ','");
            }

            i++;
        }

        return new ExecuteArguments(text, items);
    }

    private static Lwm2mException Malformed(int position, string what) =>
        new(Lwm2mStatus.BadRequest, $"Execute arguments malformed at {position}: {what}.");
}
