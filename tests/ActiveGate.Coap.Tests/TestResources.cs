using System.Text;
using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Server;

namespace ActiveGate.Coap.Tests;

/// <summary>A resource with a text value that can be read, replaced and observed.</summary>
internal sealed class TextResource : CoapResource
{
    private byte[] _value;

    public TextResource(string name, string value = "hello", bool observable = false)
        : base(name)
    {
        _value = Encoding.UTF8.GetBytes(value);
        IsObservable = observable;
        ContentFormats.Add(CoapContentFormat.TextPlain);
    }

    public int GetCount { get; private set; }

    public byte[] Value
    {
        get => _value;
        set
        {
            _value = value;
            NotifyChanged();
        }
    }

    public override ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken)
    {
        GetCount++;
        return ValueTask.FromResult(new CoapResponse(CoapCode.Content, _value, CoapContentFormat.TextPlain));
    }

    public override ValueTask<CoapResponse> HandlePutAsync(CoapRequestContext request, CancellationToken cancellationToken)
    {
        Value = request.Payload.ToArray();
        return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
    }

    public override ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken)
    {
        _value = [.. _value, .. request.Payload.Span];
        return ValueTask.FromResult(new CoapResponse(CoapCode.Changed));
    }

    public override ValueTask<CoapResponse> HandleDeleteAsync(CoapRequestContext request, CancellationToken cancellationToken)
    {
        Parent?.Remove(Name);
        return ValueTask.FromResult(new CoapResponse(CoapCode.Deleted));
    }
}
