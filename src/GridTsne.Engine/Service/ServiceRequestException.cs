using System.Net;

namespace GridTsne.Engine.Service;

/// <summary>A request the service refuses: the HTTP status, a stable code for clients, and a message saying why.</summary>
public sealed class ServiceRequestException : Exception
{
    public ServiceRequestException(HttpStatusCode status, string code, string message)
        : base(message)
    {
        Status = status;
        Code = code;
    }

    public ServiceRequestException()
        : this(HttpStatusCode.BadRequest, "BAD_REQUEST", "The request is invalid.")
    {
    }

    public ServiceRequestException(string message)
        : this(HttpStatusCode.BadRequest, "BAD_REQUEST", message)
    {
    }

    public ServiceRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = HttpStatusCode.BadRequest;
        Code = "BAD_REQUEST";
    }

    public HttpStatusCode Status { get; }

    /// <summary>A stable, upper-case code such as PATH_OUTSIDE_ROOTS.</summary>
    public string Code { get; }
}
