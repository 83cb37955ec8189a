package s3err

import "net/http"

// The S3 errors Kura returns. Messages follow the AWS documentation
// (developerguide/ErrorResponses) unless a later spec section says otherwise.
var (
	AccessDenied                 = def("AccessDenied", http.StatusForbidden, "Access Denied")
	BadDigest                    = def("BadDigest", http.StatusBadRequest, "The Content-MD5 or checksum value that you specified did not match what the server received.")
	BucketAlreadyExists          = def("BucketAlreadyExists", http.StatusConflict, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
	BucketAlreadyOwnedByYou      = def("BucketAlreadyOwnedByYou", http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it.")
	BucketNotEmpty               = def("BucketNotEmpty", http.StatusConflict, "The bucket you tried to delete is not empty")
	EntityTooLarge               = def("EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size.")
	EntityTooSmall               = def("EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size.")
	IllegalVersioningConfig      = def("IllegalVersioningConfigurationException", http.StatusBadRequest, "The versioning configuration specified in the request is invalid.")
	IncompleteBody               = def("IncompleteBody", http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	InternalError                = def("InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again.")
	InvalidAccessKeyID           = def("InvalidAccessKeyId", http.StatusForbidden, "The AWS Access Key Id you provided does not exist in our records.")
	InvalidArgument              = def("InvalidArgument", http.StatusBadRequest, "Invalid Argument")
	InvalidBucketName            = def("InvalidBucketName", http.StatusBadRequest, "The specified bucket is not valid.")
	InvalidBucketState           = def("InvalidBucketState", http.StatusConflict, "The request is not valid with the current state of the bucket.")
	InvalidDigest                = def("InvalidDigest", http.StatusBadRequest, "The Content-MD5 or checksum value that you specified is not valid.")
	InvalidLocationConstraint    = def("InvalidLocationConstraint", http.StatusBadRequest, "The specified location-constraint is not valid.")
	InvalidObjectState           = def("InvalidObjectState", http.StatusForbidden, "The operation is not valid for the object's storage class")
	InvalidPart                  = def("InvalidPart", http.StatusBadRequest, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	InvalidPartOrder             = def("InvalidPartOrder", http.StatusBadRequest, "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
	InvalidRange                 = def("InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable")
	InvalidRequest               = def("InvalidRequest", http.StatusBadRequest, "Invalid Request")
	InvalidStorageClass          = def("InvalidStorageClass", http.StatusBadRequest, "The storage class you specified is not valid")
	InvalidTag                   = def("InvalidTag", http.StatusBadRequest, "The tag provided was not a valid tag.")
	KeyTooLong                   = def("KeyTooLongError", http.StatusBadRequest, "Your key is too long")
	MalformedXML                 = def("MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
	MetadataTooLarge             = def("MetadataTooLarge", http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size.")
	MethodNotAllowed             = def("MethodNotAllowed", http.StatusMethodNotAllowed, "The specified method is not allowed against this resource.")
	MissingContentLength         = def("MissingContentLength", http.StatusLengthRequired, "You must provide the Content-Length HTTP header.")
	MissingSecurityHeader        = def("MissingSecurityHeader", http.StatusBadRequest, "Your request is missing a required header.")
	NoSuchBucket                 = def("NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist")
	NoSuchKey                    = def("NoSuchKey", http.StatusNotFound, "The specified key does not exist.")
	NoSuchTagSet                 = def("NoSuchTagSet", http.StatusNotFound, "The TagSet does not exist")
	NoSuchUpload                 = def("NoSuchUpload", http.StatusNotFound, "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	NoSuchVersion                = def("NoSuchVersion", http.StatusNotFound, "The specified version does not exist.")
	NotImplemented               = def("NotImplemented", http.StatusNotImplemented, "A header you provided implies functionality that is not implemented.")
	NotModified                  = def("NotModified", http.StatusNotModified, "Not Modified")
	PreconditionFailed           = def("PreconditionFailed", http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	RequestTimeTooSkewed         = def("RequestTimeTooSkewed", http.StatusForbidden, "The difference between the request time and the current time is too large.")
	SignatureDoesNotMatch        = def("SignatureDoesNotMatch", http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	XAmzContentSHA256Mismatch    = def("XAmzContentSHA256Mismatch", http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	AuthorizationHeaderMalformed = def("AuthorizationHeaderMalformed", http.StatusBadRequest, "The authorization header is malformed.")
	AuthorizationQueryMalformed  = def("AuthorizationQueryParametersError", http.StatusBadRequest, "Error parsing the X-Amz-Credential parameter.")
	MissingAuthenticationToken   = def("AccessDenied", http.StatusForbidden, "Anonymous access is forbidden for this operation.")
	InvalidEncryptionAlgorithm   = def("InvalidEncryptionAlgorithmError", http.StatusBadRequest, "The Encryption request you specified is not valid. Supported value: AES256.")
	ExpiredPresign               = def("AccessDenied", http.StatusForbidden, "Request has expired")
	NoSuchBucketPolicy           = def("NoSuchBucketPolicy", http.StatusNotFound, "The bucket policy does not exist")
	InvalidURI                   = def("InvalidURI", http.StatusBadRequest, "Couldn't parse the specified URI.")
	TooManyBuckets               = def("TooManyBuckets", http.StatusBadRequest, "You have attempted to create more buckets than allowed.")
	ServiceUnavailable           = def("ServiceUnavailable", http.StatusServiceUnavailable, "Please reduce your request rate.")
)

// Errors added for object reads and multipart.
var (
	InvalidPartNumber = def("InvalidPartNumber", http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable")
	NoSuchLifecycle   = def("NoSuchLifecycleConfiguration", http.StatusNotFound, "The lifecycle configuration does not exist")
)

// Errors of bucket default encryption.
var (
	SSEConfigNotFound = def("ServerSideEncryptionConfigurationNotFoundError", http.StatusNotFound, "The server side encryption configuration was not found")
)

// OperationAborted is S3's 409 for a write that lost a race with another
// write to the same resource; retrying is safe.
var OperationAborted = def("OperationAborted", http.StatusConflict, "A conflicting conditional operation is currently in progress against this resource. Try again.")

// SlowDown is S3's retryable throttling error; KMS throttling surfaces as it.
var SlowDown = def("SlowDown", http.StatusServiceUnavailable, "Please reduce your request rate.")

// Errors of archive storage classes and RestoreObject.
var (
	RestoreAlreadyInProgress  = def("RestoreAlreadyInProgress", http.StatusConflict, "Object restore is already in progress")
	ObjectAlreadyInActiveTier = def("ObjectAlreadyInActiveTierError", http.StatusForbidden, "This operation is not allowed against this storage tier.")
)

// Errors of Object Lock.
var (
	ObjectLockConfigNotFound      = def("ObjectLockConfigurationNotFoundError", http.StatusNotFound, "Object Lock configuration does not exist for this bucket")
	NoSuchObjectLockConfiguration = def("NoSuchObjectLockConfiguration", http.StatusNotFound, "The specified object does not have a ObjectLock configuration")
)

// Errors of temporary (STS) credentials: a session key whose
// X-Amz-Security-Token is wrong, or whose session has expired. Both are 400
// in S3's error table.
var (
	InvalidToken = def("InvalidToken", http.StatusBadRequest, "The provided token is malformed or otherwise invalid.")
	ExpiredToken = def("ExpiredToken", http.StatusBadRequest, "The provided token has expired.")
)

// Errors of bucket policies. MalformedPolicy carries the reason the policy
// engine gives; the default text is S3's for a body that is not JSON.
var (
	MalformedPolicy = def("MalformedPolicy", http.StatusBadRequest, "Policies must be valid JSON and the first byte must be '{'")
)

// Errors of bucket CORS configurations and CORS requests.
var (
	NoSuchCORSConfiguration = def("NoSuchCORSConfiguration", http.StatusNotFound, "The CORS configuration does not exist")
	// AccessForbidden refuses a CORS request (preflight or actual) that the
	// bucket's CORS rules do not allow.
	AccessForbidden = def("AccessForbidden", http.StatusForbidden, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
	BadRequest      = def("BadRequest", http.StatusBadRequest, "Insufficient information. Origin request header needed.")
)

// Errors of browser POST uploads (POST Object).
var (
	InvalidPolicyDocument               = def("InvalidPolicyDocument", http.StatusBadRequest, "The content of the form does not meet the conditions specified in the policy document.")
	MalformedPOSTRequest                = def("MalformedPOSTRequest", http.StatusBadRequest, "The body of your POST request is not well-formed multipart/form-data.")
	IncorrectNumberOfFilesInPostRequest = def("IncorrectNumberOfFilesInPostRequest", http.StatusBadRequest, "POST requires exactly one file upload per request.")
	MaxPostPreDataLengthExceeded        = def("MaxPostPreDataLengthExceededError", http.StatusBadRequest, "Your POST request fields preceding the upload file were too large.")
)

// Errors of Object Ownership and ACLs.
var (
	OwnershipControlsNotFound           = def("OwnershipControlsNotFoundError", http.StatusNotFound, "The bucket ownership controls were not found")
	AccessControlListNotSupported       = def("AccessControlListNotSupported", http.StatusBadRequest, "The bucket does not allow ACLs")
	InvalidBucketAclWithObjectOwnership = def("InvalidBucketAclWithObjectOwnership", http.StatusBadRequest, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
	UnresolvableGrantByEmailAddress     = def("UnresolvableGrantByEmailAddress", http.StatusBadRequest, "The e-mail address you provided does not match any account on record.")
	MalformedACLError                   = def("MalformedACLError", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema")
)

// Errors of Block Public Access.
var (
	NoSuchPublicAccessBlockConfiguration = def("NoSuchPublicAccessBlockConfiguration", http.StatusNotFound, "The public access block configuration was not found")
)

// RequestTimeout is S3's answer to a request body that arrives too slowly
// (internal/netlimit); the connection is closed after it.
var RequestTimeout = def("RequestTimeout", http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.")

// Errors of bucket websites (PutBucketWebsite, the website endpoint) and of
// x-amz-website-redirect-location.
var (
	NoSuchWebsiteConfiguration = def("NoSuchWebsiteConfiguration", http.StatusNotFound, "The specified bucket does not have a website configuration")
	InvalidRedirectLocation    = def("InvalidRedirectLocation", http.StatusBadRequest, "The website redirect location must have a prefix of 'http://' or 'https://' or '/'.")
)
