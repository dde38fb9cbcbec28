using System.CommandLine;
using System.Globalization;
using ActiveGate.Coap.Client;
using ActiveGate.Coap.Transport.Dtls;

namespace ActiveGate.Agent.Cli.Coap;

/// <summary>The options every <c>activegate coap</c> client command shares, and their validation.</summary>
internal sealed class CoapClientSettings
{
    public required Uri Uri { get; init; }

    public ReadOnlyMemory<byte> Payload { get; init; }

    public int? ContentFormat { get; init; }

    public int? Accept { get; init; }

    public int? BlockSize { get; init; }

    public PskCredential? Credential { get; init; }

    public TimeSpan? Timeout { get; init; }

    public int? Count { get; init; }

    public bool Json { get; init; }

    /// <summary>Request timeout: --timeout, else 20 s (CoAP's own MAX_TRANSMIT_WAIT of 93 s is too long at a cabinet).</summary>
    public TimeSpan RequestTimeout => Timeout ?? TimeSpan.FromSeconds(20);
}

/// <summary>Declares the shared options on one command and binds them from a parse result.</summary>
internal sealed class CoapClientOptionSet
{
    private readonly Argument<string> _uri = new("URI") { Description = "coap:// or coaps:// URI of the resource" };
    private readonly Option<string?> _payload = new("--payload") { Description = "Request payload as UTF-8 text" };
    private readonly Option<FileInfo?> _payloadFile = new("--payload-file") { Description = "Request payload read from a file (sent block-wise when large)" };
    private readonly Option<int?> _contentFormat = new("--content-format") { Description = "Content-Format of the payload (0 text/plain, 40 link-format, 42 octet-stream, 50 json, 60 cbor, 11542 LwM2M TLV, ...)" };
    private readonly Option<int?> _accept = new("--accept") { Description = "Accept option: the Content-Format wanted in the response" };
    private readonly Option<int?> _blockSize = new("--block-size") { Description = "Block size for Block1/Block2 transfers: 16, 32, 64, 128, 256, 512 or 1024" };
    private readonly Option<string?> _pskIdentity = new("--psk-identity") { Description = "DTLS PSK identity (coaps:// only)" };
    private readonly Option<string?> _pskKey = new("--psk-key") { Description = "DTLS pre-shared key in hex (coaps:// only); prefer --psk-key-file, command lines are visible to other users" };
    private readonly Option<FileInfo?> _pskKeyFile = new("--psk-key-file") { Description = "File holding the DTLS pre-shared key in hex" };
    private readonly Option<double?> _timeout = new("--timeout") { Description = "Seconds to wait for the response (default 20); for observe: how long to observe" };
    private readonly Option<int?> _count = new("--count") { Description = "observe: stop after this many responses (registration response included)" };
    private readonly Option<bool> _json = new("--json") { Description = "Print one JSON object per response instead of text" };

    public CoapClientOptionSet(Command command, bool withPayload, bool withCount)
    {
        command.Arguments.Add(_uri);
        if (withPayload)
        {
            command.Options.Add(_payload);
            command.Options.Add(_payloadFile);
            command.Options.Add(_contentFormat);
        }

        command.Options.Add(_accept);
        command.Options.Add(_blockSize);
        command.Options.Add(_pskIdentity);
        command.Options.Add(_pskKey);
        command.Options.Add(_pskKeyFile);
        command.Options.Add(_timeout);
        if (withCount)
        {
            command.Options.Add(_count);
        }

        command.Options.Add(_json);
    }

    /// <summary>Validates and binds; on failure returns null and a message for stderr (exit code 2).</summary>
    public CoapClientSettings? Bind(ParseResult parse, out string? error)
    {
        error = null;
        string text = parse.GetValue(_uri) ?? string.Empty;
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("coap" or "coaps"))
        {
            error = $"'{text}' is not a coap:// or coaps:// URI.";
            return null;
        }

        string? payloadText = parse.GetValue(_payload);
        FileInfo? payloadFile = parse.GetValue(_payloadFile);
        if (payloadText is not null && payloadFile is not null)
        {
            error = "Give either --payload or --payload-file, not both.";
            return null;
        }

        ReadOnlyMemory<byte> payload = default;
        if (payloadText is not null)
        {
            payload = System.Text.Encoding.UTF8.GetBytes(payloadText);
        }
        else if (payloadFile is not null)
        {
            if (!payloadFile.Exists)
            {
                error = $"Payload file '{payloadFile.FullName}' does not exist.";
                return null;
            }

            payload = File.ReadAllBytes(payloadFile.FullName);
        }

        int? blockSize = parse.GetValue(_blockSize);
        if (blockSize is { } size && (size < 16 || size > 1024 || (size & (size - 1)) != 0))
        {
            error = "--block-size must be 16, 32, 64, 128, 256, 512 or 1024.";
            return null;
        }

        if (!TryBindContentFormat(parse.GetValue(_contentFormat), "--content-format", out error) || !TryBindContentFormat(parse.GetValue(_accept), "--accept", out error))
        {
            return null;
        }

        double? seconds = parse.GetValue(_timeout);
        if (seconds is { } s && (s <= 0 || s > 24 * 3600 || double.IsNaN(s)))
        {
            error = "--timeout must be a positive number of seconds.";
            return null;
        }

        int? count = parse.GetValue(_count);
        if (count is < 1)
        {
            error = "--count must be at least 1.";
            return null;
        }

        PskCredential? credential = BindCredential(parse, CoapUri.IsSecure(uri), out error);
        if (error is not null)
        {
            return null;
        }

        return new CoapClientSettings
        {
            Uri = uri,
            Payload = payload,
            ContentFormat = parse.GetValue(_contentFormat),
            Accept = parse.GetValue(_accept),
            BlockSize = blockSize,
            Credential = credential,
            Timeout = seconds is { } t ? TimeSpan.FromSeconds(t) : null,
            Count = count,
            Json = parse.GetValue(_json),
        };
    }

    private PskCredential? BindCredential(ParseResult parse, bool secure, out string? error)
    {
        error = null;
        string? identity = parse.GetValue(_pskIdentity);
        string? hexKey = parse.GetValue(_pskKey);
        FileInfo? keyFile = parse.GetValue(_pskKeyFile);
        return CoapPskArguments.Bind(identity, hexKey, keyFile, secure, requireForSecure: true, out error);
    }

    private static bool TryBindContentFormat(int? value, string name, out string? error)
    {
        error = value is < 0 or > ushort.MaxValue ? string.Create(CultureInfo.InvariantCulture, $"{name} must be between 0 and 65535.") : null;
        return error is null;
    }
}

/// <summary>Turns --psk-identity / --psk-key / --psk-key-file into a credential, with clear errors that never echo the key.</summary>
internal static class CoapPskArguments
{
    public static PskCredential? Bind(string? identity, string? hexKey, FileInfo? keyFile, bool secure, bool requireForSecure, out string? error)
    {
        error = null;
        bool anyGiven = identity is not null || hexKey is not null || keyFile is not null;
        if (!secure)
        {
            if (anyGiven)
            {
                error = "PSK options apply to coaps:// only.";
            }

            return null;
        }

        if (!anyGiven && !requireForSecure)
        {
            return null;
        }

        if (hexKey is not null && keyFile is not null)
        {
            error = "Give either --psk-key or --psk-key-file, not both.";
            return null;
        }

        if (identity is null || (hexKey is null && keyFile is null))
        {
            error = "DTLS needs --psk-identity ID and --psk-key HEX (or --psk-key-file F).";
            return null;
        }

        if (keyFile is not null)
        {
            if (!keyFile.Exists)
            {
                error = $"PSK key file '{keyFile.FullName}' does not exist.";
                return null;
            }

            hexKey = File.ReadAllText(keyFile.FullName).Trim();
        }

        try
        {
            return PskCredential.FromHex(identity, hexKey!.Replace(":", string.Empty, StringComparison.Ordinal));
        }
        catch (FormatException)
        {
            error = "The pre-shared key must be hexadecimal (e.g. 0a1b2c...).";
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }

        return null;
    }
}
