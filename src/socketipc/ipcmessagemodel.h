#ifndef IPCMESSAGEMODEL_H
#define IPCMESSAGEMODEL_H

#include "socketipcglobal.h"

#include <QtCore/qabstractitemmodel.h>
#include <QtCore/qdatetime.h>

#include <memory>

class IpcMessageModelPrivate;

class SOCKETIPC_EXPORT IpcMessageModel : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(IpcMessageModel)
    Q_PROPERTY(QObject *source READ source WRITE setSource NOTIFY sourceChanged)
    Q_PROPERTY(QString topic READ topic WRITE setTopic NOTIFY topicChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(int maxCount READ maxCount WRITE setMaxCount NOTIFY maxCountChanged)
public:
    enum Role {
        TopicRole = Qt::UserRole + 1,
        MessageRole,
        ClientIdRole,
        TimestampRole,
    };
    Q_ENUM(Role)

    static constexpr int DefaultMaxCount = 1000;

    explicit IpcMessageModel(QObject *parent = nullptr);
    ~IpcMessageModel() override;

    QObject *source() const;
    void setSource(QObject *source);
    QString topic() const;
    void setTopic(const QString &topic);
    int count() const;
    int maxCount() const;
    void setMaxCount(int maxCount);

    Q_INVOKABLE QVariantMap get(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

public Q_SLOTS:
    void clear();

Q_SIGNALS:
    void sourceChanged();
    void topicChanged();
    void countChanged();
    void maxCountChanged();

private:
    friend class IpcMessageModelPrivate;
    std::unique_ptr<IpcMessageModelPrivate> d;
};

#endif  // IPCMESSAGEMODEL_H
