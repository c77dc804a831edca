// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title IPointsPaymaster
/// @notice Turns AI points into DPrompt requests at a published price: the user spends
/// `pointsPrice` points, the paymaster pays DPrompt's native fee from its budget (native coin anyone
/// may send it) and sends the request for the user. A request past its deadline without an answer
/// refunds its points exactly once; anyone may trigger it (`refund`), and the fee DPrompt gives back
/// returns to the budget.
interface IPointsPaymaster {
    /// @notice `user` paid `points` for request `requestId` of `modelId`; the budget paid `fee` wei;
    /// `consumer` (0: none) gets the answer by callback.
    event PointsPaymasterRequested(
        uint256 indexed requestId, address indexed user, uint32 modelId, uint256 points, uint256 fee, address consumer
    );
    /// @notice Request `requestId` missed its deadline: `user` got `points` back (`by` triggered it)
    /// and `fee` wei (DPrompt's credits to the paymaster, this fee's and any earlier one's not yet
    /// withdrawn) returned to the budget.
    event PointsPaymasterRefunded(
        uint256 indexed requestId, address indexed user, uint256 points, uint256 fee, address by
    );
    /// @notice The answer of `requestId` was passed to `consumer`; `success` false if it reverted.
    event PointsPaymasterCallback(uint256 indexed requestId, address indexed consumer, bool success);
    /// @notice `from` added `amount` wei to the budget.
    event PointsPaymasterFunded(address indexed from, uint256 amount);
    /// @notice The foundation took `amount` wei of the budget back.
    event PointsPaymasterDefunded(uint256 amount);
    /// @notice Consumer `consumer` let `user` name it in requests (`allowed`) or stopped it.
    event PointsPaymasterRequesterSet(address indexed consumer, address indexed user, bool allowed);

    /// @notice DPrompt asks `fee` wei, above the most the paymaster pays per request (`maxFee`).
    error PointsPaymasterFeeTooHigh(uint256 fee, uint256 maxFee);
    /// @notice The budget holds `budget` wei, less than the `fee` needed.
    error PointsPaymasterBudgetTooLow(uint256 budget, uint256 fee);
    /// @notice `requestId` was not sent through this paymaster.
    error PointsPaymasterUnknownRequest(uint256 requestId);
    /// @notice `requestId`'s points were already refunded.
    error PointsPaymasterAlreadyRefunded(uint256 requestId);
    /// @notice `caller` may not do this.
    error PointsPaymasterUnauthorized(address caller);
    /// @notice Sending `amount` wei to `to` failed.
    error PointsPaymasterTransferFailed(address to, uint256 amount);
    /// @notice `consumer` is neither the caller `user` nor approved `user` (`setRequester`).
    error PointsPaymasterConsumerNotApproved(address consumer, address user);
    /// @notice `consumer` has no code: its callback would never run.
    error PointsPaymasterConsumerHasNoCode(address consumer);
    /// @notice The request's gas price `gasPrice` is above the block's base fee + 1 gwei (`max`).
    error PointsPaymasterGasPriceTooHigh(uint256 gasPrice, uint256 max);
    /// @notice `given` callback gas is above `max` (DPrompt's most less the paymaster's forwarding gas).
    error PointsPaymasterCallbackGasLimit(uint256 given, uint256 max);

    /// @notice Spends `pointsPrice` of the caller's points and asks `modelId` about `prompt` for it;
    /// with `consumer` non-zero, its `onDPromptAnswer` gets the answer with `callbackGasLimit` gas.
    /// `consumer` must have code and be the caller itself or have approved the caller
    /// (`setRequester`); the transaction's gas price may tip at most 1 gwei above the base fee.
    function request(uint32 modelId, bytes calldata prompt, address consumer, uint32 callbackGasLimit)
        external
        returns (uint256 requestId);
    /// @notice After `requestId`'s deadline passed unanswered: reclaims it from DPrompt, gives its
    /// points back to its user (up to the user's cap) and the fee to the budget. Anyone; once.
    function refund(uint256 requestId) external;
    /// @notice The caller (a consumer) lets `user` name it in requests (`allowed`) or stops it.
    function setRequester(address user, bool allowed) external;
    /// @notice Whether `user` may name `consumer` in a request (itself, or approved by it).
    function isRequester(address consumer, address user) external view returns (bool);
    /// @notice Points one request costs.
    function pointsPrice() external view returns (uint256);
    /// @notice The most wei the paymaster pays DPrompt for one request.
    function maxFee() external view returns (uint256);
    /// @notice The user a request was sent for (0: not through this paymaster), its points, and
    /// whether they were refunded.
    function requestOf(uint256 requestId) external view returns (address user, uint256 points, bool refunded);
}
