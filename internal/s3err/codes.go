package s3err

// The S3 errors Kura returns, with their HTTP status codes (numbers, so that
// domain packages returning them need not import net/http). Messages are the
// text S3 itself sends, taken from captured AWS responses where there are
// some: the error table in the API reference (ErrorResponses) rewrites many of
// them ("that you", "might", a final period), and clients that match on the
// text see the wire, not the table. testdata/errors.golden records every code,
// status and message with its source; TestErrorsGolden keeps it current.
var (
	AccessDenied                 = def("AccessDenied", 403, "Access Denied")
	BadDigest                    = def("BadDigest", 400, "The Content-MD5 you specified did not match what we received.")
	BucketAlreadyExists          = def("BucketAlreadyExists", 409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
	BucketAlreadyOwnedByYou      = def("BucketAlreadyOwnedByYou", 409, "Your previous request to create the named bucket succeeded and you already own it.")
	BucketNotEmpty               = def("BucketNotEmpty", 409, "The bucket you tried to delete is not empty")
	EntityTooLarge               = def("EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed size")
	EntityTooSmall               = def("EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed size")
	IllegalVersioningConfig      = def("IllegalVersioningConfigurationException", 400, "The versioning configuration specified in the request is invalid.")
	IncompleteBody               = def("IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	InternalError                = def("InternalError", 500, "We encountered an internal error. Please try again.")
	InvalidAccessKeyID           = def("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records.")
	InvalidArgument              = def("InvalidArgument", 400, "Invalid Argument")
	InvalidBucketName            = def("InvalidBucketName", 400, "The specified bucket is not valid.")
	InvalidBucketState           = def("InvalidBucketState", 409, "The request is not valid with the current state of the bucket.")
	InvalidChunkSizeError        = def("InvalidChunkSizeError", 400, "Only the last chunk is allowed to have a size less than 8192 bytes")
	InvalidDigest                = def("InvalidDigest", 400, "The Content-MD5 you specified was invalid.")
	InvalidLocationConstraint    = def("InvalidLocationConstraint", 400, "The specified location-constraint is not valid")
	InvalidObjectState           = def("InvalidObjectState", 403, "The operation is not valid for the object's storage class")
	InvalidPart                  = def("InvalidPart", 400, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	InvalidPartOrder             = def("InvalidPartOrder", 400, "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
	InvalidRange                 = def("InvalidRange", 416, "The requested range is not satisfiable")
	InvalidRequest               = def("InvalidRequest", 400, "Invalid Request")
	InvalidStorageClass          = def("InvalidStorageClass", 400, "The storage class you specified is not valid")
	InvalidTag                   = def("InvalidTag", 400, "The tag provided was not a valid tag.")
	KeyTooLong                   = def("KeyTooLongError", 400, "Your key is too long")
	MalformedXML                 = def("MalformedXML", 400, "The XML you provided was not well-formed or did not validate against our published schema")
	MetadataTooLarge             = def("MetadataTooLarge", 400, "Your metadata headers exceed the maximum allowed metadata size.")
	MethodNotAllowed             = def("MethodNotAllowed", 405, "The specified method is not allowed against this resource.")
	MissingContentLength         = def("MissingContentLength", 411, "You must provide the Content-Length HTTP header.")
	MissingSecurityHeader        = def("MissingSecurityHeader", 400, "Your request is missing a required header.")
	NoSuchBucket                 = def("NoSuchBucket", 404, "The specified bucket does not exist")
	NoSuchKey                    = def("NoSuchKey", 404, "The specified key does not exist.")
	NoSuchTagSet                 = def("NoSuchTagSet", 404, "The TagSet does not exist")
	NoSuchUpload                 = def("NoSuchUpload", 404, "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	NoSuchVersion                = def("NoSuchVersion", 404, "The specified version does not exist.")
	NotImplemented               = def("NotImplemented", 501, "A header you provided implies functionality that is not implemented")
	NotModified                  = def("NotModified", 304, "Not Modified")
	PreconditionFailed           = def("PreconditionFailed", 412, "At least one of the pre-conditions you specified did not hold")
	RequestTimeTooSkewed         = def("RequestTimeTooSkewed", 403, "The difference between the request time and the current time is too large.")
	SignatureDoesNotMatch        = def("SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	XAmzContentSHA256Mismatch    = def("XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	AuthorizationHeaderMalformed = def("AuthorizationHeaderMalformed", 400, "The authorization header is malformed.")
	AuthorizationQueryMalformed  = def("AuthorizationQueryParametersError", 400, "Error parsing the X-Amz-Credential parameter.")
	MissingAuthenticationToken   = def("AccessDenied", 403, "Anonymous access is forbidden for this operation.")
	InvalidEncryptionAlgorithm   = def("InvalidEncryptionAlgorithmError", 400, "The Encryption request you specified is not valid. Supported value: AES256.")
	ExpiredPresign               = def("AccessDenied", 403, "Request has expired")
	NoSuchBucketPolicy           = def("NoSuchBucketPolicy", 404, "The bucket policy does not exist")
	InvalidURI                   = def("InvalidURI", 400, "Couldn't parse the specified URI.")
	TooManyBuckets               = def("TooManyBuckets", 400, "You have attempted to create more buckets than allowed.")
	ServiceUnavailable           = def("ServiceUnavailable", 503, "Please reduce your request rate.")
)

// Errors added for object reads and multipart.
var (
	InvalidPartNumber = def("InvalidPartNumber", 416, "The requested partnumber is not satisfiable")
	NoSuchLifecycle   = def("NoSuchLifecycleConfiguration", 404, "The lifecycle configuration does not exist")
)

// Errors of bucket default encryption.
var (
	SSEConfigNotFound = def("ServerSideEncryptionConfigurationNotFoundError", 404, "The server side encryption configuration was not found")
)

// PermanentRedirect is S3's 301 for a bucket that lives at another
// endpoint (Kura: another deployment of the link's partition); the body
// names the Endpoint and Bucket, x-amz-bucket-region its region.
var PermanentRedirect = def("PermanentRedirect", 301, "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.")

// OperationAborted is S3's 409 for a write that lost a race with another
// write to the same resource; retrying is safe.
var OperationAborted = def("OperationAborted", 409, "A conflicting conditional operation is currently in progress against this resource. Try again.")

// SlowDown is S3's retryable throttling error; KMS throttling surfaces as it.
var SlowDown = def("SlowDown", 503, "Please reduce your request rate.")

// Errors of archive storage classes and RestoreObject.
var (
	RestoreAlreadyInProgress  = def("RestoreAlreadyInProgress", 409, "Object restore is already in progress")
	ObjectAlreadyInActiveTier = def("ObjectAlreadyInActiveTierError", 403, "This operation is not allowed against this storage tier.")
)

// Errors of Object Lock.
var (
	ObjectLockConfigNotFound      = def("ObjectLockConfigurationNotFoundError", 404, "Object Lock configuration does not exist for this bucket")
	NoSuchObjectLockConfiguration = def("NoSuchObjectLockConfiguration", 404, "The specified object does not have a ObjectLock configuration")
)

// Errors of temporary (STS) credentials: a session key whose
// X-Amz-Security-Token is wrong, or whose session has expired. Both are 400
// in S3's error table.
var (
	InvalidToken = def("InvalidToken", 400, "The provided token is malformed or otherwise invalid.")
	ExpiredToken = def("ExpiredToken", 400, "The provided token has expired.")
)

// Errors of bucket policies. MalformedPolicy carries the reason the policy
// engine gives; the default text is S3's for a body that is not JSON.
var (
	MalformedPolicy = def("MalformedPolicy", 400, "Policies must be valid JSON and the first byte must be '{'")
)

// Errors of bucket CORS configurations and CORS requests.
var (
	NoSuchCORSConfiguration = def("NoSuchCORSConfiguration", 404, "The CORS configuration does not exist")
	// AccessForbidden refuses a CORS request (preflight or actual) that the
	// bucket's CORS rules do not allow.
	AccessForbidden = def("AccessForbidden", 403, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
	BadRequest      = def("BadRequest", 400, "Insufficient information. Origin request header needed.")
)

// Errors of browser POST uploads (POST Object).
var (
	InvalidPolicyDocument               = def("InvalidPolicyDocument", 400, "The content of the form does not meet the conditions specified in the policy document.")
	MalformedPOSTRequest                = def("MalformedPOSTRequest", 400, "The body of your POST request is not well-formed multipart/form-data.")
	IncorrectNumberOfFilesInPostRequest = def("IncorrectNumberOfFilesInPostRequest", 400, "POST requires exactly one file upload per request.")
	MaxPostPreDataLengthExceeded        = def("MaxPostPreDataLengthExceededError", 400, "Your POST request fields preceding the upload file were too large.")
)

// Errors of Object Ownership and ACLs.
var (
	OwnershipControlsNotFound           = def("OwnershipControlsNotFoundError", 404, "The bucket ownership controls were not found")
	AccessControlListNotSupported       = def("AccessControlListNotSupported", 400, "The bucket does not allow ACLs")
	InvalidBucketAclWithObjectOwnership = def("InvalidBucketAclWithObjectOwnership", 400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
	UnresolvableGrantByEmailAddress     = def("UnresolvableGrantByEmailAddress", 400, "The e-mail address you provided does not match any account on record.")
	MalformedACLError                   = def("MalformedACLError", 400, "The XML you provided was not well-formed or did not validate against our published schema")
)

// Errors of Block Public Access.
var (
	NoSuchPublicAccessBlockConfiguration = def("NoSuchPublicAccessBlockConfiguration", 404, "The public access block configuration was not found")
)

// RequestTimeout is S3's answer to a request body that arrives too slowly
// (internal/netlimit); the connection is closed after it.
var RequestTimeout = def("RequestTimeout", 400, "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.")

// Errors of bucket configurations kept by id (inventory).
var (
	NoSuchConfiguration   = def("NoSuchConfiguration", 404, "The specified configuration does not exist.")
	TooManyConfigurations = def("TooManyConfigurations", 400, "You are attempting to create a new configuration but have already reached the 1,000-configuration limit.")
	// ReplicationConfigurationNotFound answers GetBucketReplication on a
	// bucket without one.
	ReplicationConfigurationNotFound = def("ReplicationConfigurationNotFoundError", 404, "The replication configuration was not found")
	// InvalidTargetBucketForLogging refuses PutBucketLogging's target
	// bucket (missing, another owner or region; the message says which).
	InvalidTargetBucketForLogging = def("InvalidTargetBucketForLogging", 400, "The target bucket for logging does not exist")
)

// Errors of bucket websites (PutBucketWebsite, the website endpoint) and of
// x-amz-website-redirect-location.
var (
	NoSuchWebsiteConfiguration = def("NoSuchWebsiteConfiguration", 404, "The specified bucket does not have a website configuration")
	InvalidRedirectLocation    = def("InvalidRedirectLocation", 400, "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.")
)
