using ActiveGate.Coap.LinkFormat;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Coap.Server;

/// <summary>
/// A node of a <see cref="CoapServer"/>'s resource tree. Override the handlers for the methods the
/// resource supports (the others answer 4.05). Set <see cref="IsObservable"/> and call
/// <see cref="NotifyChanged"/> when the state changes to notify observers (RFC 7641).
/// </summary>
/// <example>
/// <code>
/// sealed class TimeResource : CoapResource
/// {
///     public TimeResource() : base("time") { IsObservable = true; ResourceTypes.Add("clock"); }
///     public override ValueTask&lt;CoapResponse&gt; HandleGetAsync(CoapRequestContext request, CancellationToken ct) =>
///         ValueTask.FromResult(CoapResponse.FromText(CoapCode.Content, DateTime.UtcNow.ToString("O")));
/// }
/// server.Root.Add(new TimeResource());
/// </code>
/// </example>
public class CoapResource
{
    private readonly Dictionary<string, CoapResource> _children = new(StringComparer.Ordinal);
    private readonly Lock _childrenLock = new();
    private CoapServer? _server;
    private int _observeSequence = 1;

    /// <summary>Creates a resource with the given path segment name ("" only for the root).</summary>
    public CoapResource(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A resource name is one path segment.", nameof(name));
        }

        Name = name;
    }

    /// <summary>The path segment.</summary>
    public string Name { get; }

    /// <summary>The parent, or null for the root and detached resources.</summary>
    public CoapResource? Parent { get; private set; }

    /// <summary>The full path ("/sensors/temp").</summary>
    public string Path => Parent is null ? "/" + Name : (Parent.Path == "/" ? "/" : Parent.Path + "/") + Name;

    /// <summary>Resource types (<c>rt</c>) for discovery.</summary>
    public IList<string> ResourceTypes { get; } = [];

    /// <summary>Interface descriptions (<c>if</c>) for discovery.</summary>
    public IList<string> InterfaceDescriptions { get; } = [];

    /// <summary>Content formats (<c>ct</c>) for discovery.</summary>
    public IList<int> ContentFormats { get; } = [];

    /// <summary>Title for discovery, or null.</summary>
    public string? Title { get; set; }

    /// <summary>Whether the resource is listed in /.well-known/core (default true).</summary>
    public bool IsVisible { get; set; } = true;

    /// <summary>Whether GET with Observe = 0 registers an observer (and <c>obs</c> is advertised).</summary>
    public bool IsObservable { get; set; }

    /// <summary>Whether requests for paths below this resource that match no child are handled here (see <see cref="CoapRequestContext.RemainingPath"/>).</summary>
    public bool HandlesSubPaths { get; set; }

    /// <summary>Forces every notification of this resource to be CON (true) or leaves it to the server's policy (false).</summary>
    public bool ConfirmableNotifications { get; set; }

    /// <summary>The children.</summary>
    public IReadOnlyCollection<CoapResource> Children
    {
        get
        {
            lock (_childrenLock)
            {
                return _children.Values.ToArray();
            }
        }
    }

    /// <summary>Current number of observers.</summary>
    public int ObserverCount => Server?.CountObservers(this) ?? 0;

    /// <summary>The server the tree belongs to (null while detached).</summary>
    public CoapServer? Server => Parent is null ? _server : Parent.Server;

    internal uint CurrentObserveSequence => (uint)Volatile.Read(ref _observeSequence) & 0xFF_FFFF;

    /// <summary>Adds a child (replacing one with the same name) and returns it.</summary>
    public T Add<T>(T child)
        where T : CoapResource
    {
        ArgumentNullException.ThrowIfNull(child);
        lock (_childrenLock)
        {
            if (_children.TryGetValue(child.Name, out CoapResource? previous))
            {
                previous.Parent = null;
            }

            child.Parent = this;
            _children[child.Name] = child;
        }

        return child;
    }

    /// <summary>Removes the child with this name; its observers are told that it is gone (4.04).</summary>
    public bool Remove(string name)
    {
        CoapResource? removed;
        lock (_childrenLock)
        {
            if (!_children.Remove(name, out removed))
            {
                return false;
            }
        }

        Server?.RemoveObservers(removed, notifyGone: true);
        removed.Parent = null;
        return true;
    }

    /// <summary>The child with this name, or null.</summary>
    public CoapResource? GetChild(string name)
    {
        lock (_childrenLock)
        {
            return _children.GetValueOrDefault(name);
        }
    }

    /// <summary>The child with this name, or null; routing uses it to look up a Uri-Path segment without making a string.</summary>
    internal CoapResource? GetChild(ReadOnlySpan<char> name)
    {
        lock (_childrenLock)
        {
            return _children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out CoapResource? child) ? child : null;
        }
    }

    /// <summary>Tells every observer that the state changed: each gets a fresh GET response as a notification.</summary>
    public void NotifyChanged()
    {
        Interlocked.Increment(ref _observeSequence);
        Server?.NotifyObservers(this);
    }

    /// <summary>GET. Default: 4.05.</summary>
    public virtual ValueTask<CoapResponse> HandleGetAsync(CoapRequestContext request, CancellationToken cancellationToken) => MethodNotAllowed();

    /// <summary>POST. Default: 4.05.</summary>
    public virtual ValueTask<CoapResponse> HandlePostAsync(CoapRequestContext request, CancellationToken cancellationToken) => MethodNotAllowed();

    /// <summary>PUT. Default: 4.05.</summary>
    public virtual ValueTask<CoapResponse> HandlePutAsync(CoapRequestContext request, CancellationToken cancellationToken) => MethodNotAllowed();

    /// <summary>DELETE. Default: 4.05.</summary>
    public virtual ValueTask<CoapResponse> HandleDeleteAsync(CoapRequestContext request, CancellationToken cancellationToken) => MethodNotAllowed();

    /// <summary>FETCH (RFC 8132). Default: 4.05.</summary>
    public virtual ValueTask<CoapResponse> HandleFetchAsync(CoapRequestContext request, CancellationToken cancellationToken) => MethodNotAllowed();

    /// <summary>PATCH and iPATCH (RFC 8132). Default: 4.05.</summary>
    public virtual ValueTask<CoapResponse> HandlePatchAsync(CoapRequestContext request, CancellationToken cancellationToken) => MethodNotAllowed();

    /// <summary>The link describing this resource in /.well-known/core.</summary>
    public virtual CoapLink GetLink()
    {
        var link = new CoapLink(Path);
        if (ResourceTypes.Count > 0)
        {
            link.Add("rt", string.Join(' ', ResourceTypes));
        }

        if (InterfaceDescriptions.Count > 0)
        {
            link.Add("if", string.Join(' ', InterfaceDescriptions));
        }

        if (ContentFormats.Count > 0)
        {
            link.Add("ct", string.Join(' ', ContentFormats));
        }

        if (Title is not null)
        {
            link.Add("title", Title);
        }

        if (IsObservable)
        {
            link.Add("obs");
        }

        return link;
    }

    internal ValueTask<CoapResponse> HandleAsync(CoapRequestContext request, CancellationToken cancellationToken) => request.Method.Value switch
    {
        0x01 => HandleGetAsync(request, cancellationToken),
        0x02 => HandlePostAsync(request, cancellationToken),
        0x03 => HandlePutAsync(request, cancellationToken),
        0x04 => HandleDeleteAsync(request, cancellationToken),
        0x05 => HandleFetchAsync(request, cancellationToken),
        0x06 or 0x07 => HandlePatchAsync(request, cancellationToken),
        _ => MethodNotAllowed(),
    };

    internal void AttachTo(CoapServer server) => _server = server;

    private static ValueTask<CoapResponse> MethodNotAllowed() => ValueTask.FromResult(new CoapResponse(CoapCode.MethodNotAllowed));
}
