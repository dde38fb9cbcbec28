using System.Globalization;
using System.Text;

namespace ActiveGate.OneM2m;

/// <summary>
/// Text that came from outside (a platform's command, a CSE's debug message) as it may appear in a log line: at most
/// <see cref="DefaultLimit"/> characters, then the size of the whole, so one hostile or broken request cannot turn
/// into a 100 KB log line, and the operator still sees how big it was.
/// </summary>
public static class BoundedText
{
    public const int DefaultLimit = 200;

    /// <summary><paramref name="text"/> itself when short enough, else its first characters + <c>… (N bytes)</c>.</summary>
    public static string Cap(string? text, int limit = DefaultLimit)
    {
        if (text is null)
        {
            return "";
        }

        if (text.Length <= limit)
        {
            return text;
        }

        // Never cut a surrogate pair in half: the log sink would write a replacement character or throw.
        int cut = char.IsHighSurrogate(text[limit - 1]) ? limit - 1 : limit;
        return string.Create(CultureInfo.InvariantCulture, $"{text.AsSpan(0, cut)}… ({Encoding.UTF8.GetByteCount(text)} bytes)");
    }
}
