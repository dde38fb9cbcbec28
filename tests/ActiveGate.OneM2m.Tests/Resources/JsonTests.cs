using System.Text;
using ActiveGate.OneM2m.Resources;

namespace ActiveGate.OneM2m.Tests.Resources;

public sealed class JsonTests
{
    [Fact]
    public void Wrap_uses_short_names_and_omits_nulls()
    {
        byte[] json = OneM2mJson.Wrap(Subscription.RootKey, new Subscription
        {
            ResourceName = "cmdSub",
            NotificationUris = ["Cactivegate01"],
            NotificationContentType = 1,
            EventNotificationCriteria = new EventNotificationCriteria { NotificationEventTypes = [3] },
        }, OneM2mJsonContext.Default.Subscription);
        Assert.Equal("{\"m2m:sub\":{\"rn\":\"cmdSub\",\"nu\":[\"Cactivegate01\"],\"nct\":1,\"enc\":{\"net\":[3]}}}", Encoding.UTF8.GetString(json));
    }

    [Fact]
    public void Unwrap_reads_real_acme_response()
    {
        const string acme = """{"m2m:cin": {"cnf":"application/json:0","con":"{\"p_W\":123.4}","cs":63,"pi":"cnt8IO5YmavfT","ri":"cinLJ5hQLvADF","rn":"cin_d3aJb7atN1","ty":4,"ct":"20261124T200704,141631","st":1}}""";
        Assert.True(OneM2mJson.TryUnwrap(Encoding.UTF8.GetBytes(acme), ContentInstance.RootKey, OneM2mJsonContext.Default.ContentInstance, out ContentInstance? cin));
        Assert.Equal("{\"p_W\":123.4}", cin!.ContentText);
        Assert.Equal(4, cin.ResourceType);
        Assert.True(OneM2mTimestamp.TryParse(cin.CreationTime, out DateTimeOffset ct));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 20, 7, 4, 141, TimeSpan.Zero).AddTicks(6310), ct);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"m2m:cin\":5}")]
    [InlineData("[1,2]")]
    [InlineData("{\"m2m:cnt\":{}}")]
    [InlineData("{\"m2m:cin\":{\"cs\":\"x\"}")]
    public void Unwrap_never_throws_on_garbage(string input)
        => Assert.False(OneM2mJson.TryUnwrap(Encoding.UTF8.GetBytes(input), ContentInstance.RootKey, OneM2mJsonContext.Default.ContentInstance, out _));

    [Fact]
    public void Base64_content_is_decoded()
    {
        var cin = ContentInstance.FromText(Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"relay\":true}")), "application/json:1");
        Assert.Equal("{\"relay\":true}", cin.ContentText);
    }

    [Theory]
    [InlineData("20261124T200704", 0)]
    [InlineData("20261124T200704,5", 5_000_000)]
    [InlineData("2026-11-24T20:07:04+00:00", 0)]
    [InlineData("2026-11-24T21:07:04.5+01:00", 5_000_000)]
    public void Timestamps_parse_basic_and_extended(string text, long extraTicks)
    {
        Assert.True(OneM2mTimestamp.TryParse(text, out DateTimeOffset t));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 20, 7, 4, TimeSpan.Zero).AddTicks(extraTicks), t.ToUniversalTime());
    }

    [Fact]
    public void Timestamp_format_is_basic_utc()
        => Assert.Equal("20261124T200704", OneM2mTimestamp.Format(new DateTimeOffset(2026, 11, 24, 21, 7, 4, TimeSpan.FromHours(1))));

    [Fact]
    public void Timestamp_with_fraction_round_trips()
    {
        DateTimeOffset t = new DateTimeOffset(2026, 11, 24, 20, 7, 4, TimeSpan.Zero).AddMilliseconds(200);
        string text = OneM2mTimestamp.FormatWithFraction(t);
        Assert.Equal("20261124T200704,200000", text);
        Assert.True(OneM2mTimestamp.TryParse(text, out DateTimeOffset back));
        Assert.Equal(t, back);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(200)]
    public void Bounded_text_is_kept_when_short(int length)
        => Assert.Equal(new string('a', length), BoundedText.Cap(new string('a', length)));

    [Fact]
    public void Bounded_text_is_cut_with_its_size_noted_and_no_half_surrogate()
    {
        string capped = BoundedText.Cap(new string('x', 100_000));
        Assert.Equal(new string('x', 200) + "… (100000 bytes)", capped);

        string emoji = new string('x', 199) + "😀" + new string('y', 10);
        string cut = BoundedText.Cap(emoji);
        Assert.StartsWith(new string('x', 199) + "…", cut, StringComparison.Ordinal);
        Assert.EndsWith("(213 bytes)", cut, StringComparison.Ordinal);
        Assert.Equal("", BoundedText.Cap(null));
    }
}
