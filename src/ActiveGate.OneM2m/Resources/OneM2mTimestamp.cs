using System.Globalization;

namespace ActiveGate.OneM2m.Resources;

/// <summary>
/// oneM2M timestamps: the basic ISO 8601 form <c>YYYYMMDDTHHMMSS[,ffffff]</c> (UTC) is sent; the extended form
/// (<c>2017-03-02T16:46:13.350093+00:00</c>, OpenMTC) is accepted as well.
/// </summary>
public static class OneM2mTimestamp
{
    private static readonly string[] s_basicFormats =
    [
        "yyyyMMdd'T'HHmmss",
        "yyyyMMdd'T'HHmmss','f", "yyyyMMdd'T'HHmmss','ff", "yyyyMMdd'T'HHmmss','fff",
        "yyyyMMdd'T'HHmmss','ffff", "yyyyMMdd'T'HHmmss','fffff", "yyyyMMdd'T'HHmmss','ffffff",
        "yyyyMMdd'T'HHmmss'.'ffffff",
    ];

    public static string Format(DateTimeOffset time)
        => time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);

    public static string FormatWithFraction(DateTimeOffset time)
        => time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss','ffffff", CultureInfo.InvariantCulture);

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (DateTime.TryParseExact(text, s_basicFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime basic))
        {
            value = new DateTimeOffset(basic, TimeSpan.Zero);
            return true;
        }

        return text.Contains('-', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }
}
